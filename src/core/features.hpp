// User and item features (side information) as read from a table, and their encoding into
// sparse real-valued rows: numeric columns standardised, categorical columns one-hot, set
// (array) columns multi-hot. The encoding is learned once, at training, and stored with the
// model so that rows read later (new items, changed features) are encoded the same way.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace autorec {

class Writer;
class Reader;

enum class FeatureKind : uint8_t {
  Numeric = 0,      // one real value per row (NaN = NULL)
  Categorical = 1,  // one token per row (text, boolean, other scalar types; none = NULL)
  Set = 2,          // any number of tokens per row (arrays; none = NULL or empty)
};

const char* feature_kind_name(FeatureKind k);

// One column of a feature table. Numeric columns use `numbers`; the others list row r's
// tokens as tokens[offsets[r] .. offsets[r + 1]).
struct FeatureColumn {
  std::string name;
  FeatureKind kind = FeatureKind::Numeric;
  std::vector<double> numbers;
  std::vector<uint32_t> offsets{0};
  std::vector<std::string> tokens;

  void add_number(double v) { numbers.push_back(v); }
  void add_token(const char* s) { tokens.emplace_back(s); }
  void end_row() { offsets.push_back(static_cast<uint32_t>(tokens.size())); }
};

// The rows of a feature source: one external id and one value per column each. Ids are unique
// (validate() checks).
struct FeatureTable {
  std::vector<int64_t> ids;
  std::vector<FeatureColumn> columns;

  size_t rows() const { return ids.size(); }
  bool empty() const { return ids.empty() && columns.empty(); }
  size_t values() const;  // numbers and tokens over all columns
  size_t bytes() const;   // memory held, for training memory estimates
  // Throws Error(DataError) for a repeated id or ragged columns; `what` names the source in
  // messages ("user_features").
  void validate(const std::string& what) const;
};

// User and item features given to a training or a refresh; either may be empty.
struct FeatureSet {
  FeatureTable users, items;
};

// Sparse rows of encoded features, CSR: row r is (index[k], value[k]) for k in
// [ptr[r], ptr[r + 1]).
struct FeatureRows {
  std::vector<uint64_t> ptr{0};
  std::vector<uint32_t> index;
  std::vector<float> value;

  size_t rows() const { return ptr.size() - 1; }
  size_t nnz() const { return index.size(); }
};

// The encoding of one feature table, learned from the training rows. Feature indices start at
// `base` and are numbered column by column: a numeric column has one index, a categorical or
// set column one per distinct token (sorted).
class FeatureEncoder {
 public:
  struct Column {
    std::string name;
    FeatureKind kind = FeatureKind::Numeric;
    double mean = 0, scale = 1;      // numeric: value (x - mean) / scale
    std::vector<std::string> vocab;  // categorical and set: sorted distinct tokens
    uint32_t first = 0;              // its first feature index
  };

  FeatureEncoder() = default;
  // Vocabularies, means and scales of `t`'s columns (scale = standard deviation, 1 when that is
  // 0 or there are fewer than two values).
  static FeatureEncoder learn(const FeatureTable& t, uint32_t base);

  uint32_t base() const { return base_; }
  uint32_t size() const { return size_; }  // number of feature indices
  const std::vector<Column>& columns() const { return columns_; }

  // Appends row r of `t` to `out` as (index, value) pairs: numeric (x - mean) / scale (0 for
  // NULL, i.e. the mean), one-hot 1, multi-hot 1 / sqrt(number of known tokens). Tokens not
  // in the vocabulary are ignored. `t` must have every column the encoder has, with the same
  // kind (map_columns checks), in any order.
  void encode_row(const FeatureTable& t, const std::vector<int>& column_of, size_t r,
                  std::vector<uint32_t>& index, std::vector<float>& value) const;
  // For each encoder column, its position in `t`. Throws Error(InvalidParameter) when a column
  // is missing or changed kind (the model must then be retrained); extra columns are ignored.
  std::vector<int> map_columns(const FeatureTable& t, const std::string& what) const;

  void save(Writer& w) const;
  void load(Reader& r, uint32_t base);

 private:
  uint32_t base_ = 0, size_ = 0;
  std::vector<Column> columns_;
};

}  // namespace autorec
