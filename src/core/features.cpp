// Feature tables and their encoding (vocabularies, standardisation) with its serialization.
#include "core/features.hpp"

#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "core/error.hpp"
#include "core/serialize.hpp"

namespace autorec {

const char* feature_kind_name(FeatureKind k) {
  switch (k) {
    case FeatureKind::Numeric:
      return "numeric";
    case FeatureKind::Categorical:
      return "categorical";
    case FeatureKind::Set:
    default:
      return "set";
  }
}

size_t FeatureTable::values() const {
  size_t n = 0;
  for (const FeatureColumn& c : columns) n += c.numbers.size() + c.tokens.size();
  return n;
}

size_t FeatureTable::bytes() const {
  size_t n = ids.capacity() * sizeof(int64_t) + columns.capacity() * sizeof(FeatureColumn);
  for (const FeatureColumn& c : columns) {
    n += c.numbers.capacity() * sizeof(double) + c.offsets.capacity() * sizeof(uint32_t) +
         c.tokens.capacity() * sizeof(std::string);
    for (const std::string& t : c.tokens)
      if (t.size() >= sizeof(std::string) / 2) n += t.capacity() + 1;  // beyond the inline buffer
  }
  return n;
}

void FeatureTable::validate(const std::string& what) const {
  for (const FeatureColumn& c : columns) {
    const bool ok = c.kind == FeatureKind::Numeric
                        ? c.numbers.size() == ids.size()
                        : c.offsets.size() == ids.size() + 1 && c.offsets.back() == c.tokens.size();
    if (!ok) throw Error(ErrorKind::Internal, what + ": column \"" + c.name + "\" is ragged");
  }
  std::vector<int64_t> sorted = ids;
  std::sort(sorted.begin(), sorted.end());
  auto dup = std::adjacent_find(sorted.begin(), sorted.end());
  if (dup != sorted.end())
    throw Error(ErrorKind::DataError,
                what + " has more than one row for id " + std::to_string(*dup),
                "Give one row of features per id (aggregate them, for example into an array).");
}

FeatureEncoder FeatureEncoder::learn(const FeatureTable& t, uint32_t base) {
  FeatureEncoder e;
  e.base_ = base;
  uint32_t next = base;
  for (const FeatureColumn& c : t.columns) {
    Column col;
    col.name = c.name;
    col.kind = c.kind;
    col.first = next;
    if (c.kind == FeatureKind::Numeric) {
      double sum = 0, sq = 0;
      size_t n = 0;
      for (double x : c.numbers)
        if (std::isfinite(x)) {
          sum += x;
          ++n;
        }
      col.mean = n ? sum / static_cast<double>(n) : 0.0;
      for (double x : c.numbers)
        if (std::isfinite(x)) sq += (x - col.mean) * (x - col.mean);
      const double sd = n > 1 ? std::sqrt(sq / static_cast<double>(n)) : 0.0;
      col.scale = sd > 1e-12 ? sd : 1.0;
      next += 1;
    } else {
      std::unordered_set<std::string> seen(c.tokens.begin(), c.tokens.end());
      col.vocab.assign(seen.begin(), seen.end());
      std::sort(col.vocab.begin(), col.vocab.end());
      if (col.vocab.size() > UINT32_MAX - next)
        throw Error(ErrorKind::ResourceLimit, "too many distinct feature values");
      next += static_cast<uint32_t>(col.vocab.size());
    }
    e.columns_.push_back(std::move(col));
  }
  e.size_ = next - base;
  return e;
}

std::vector<int> FeatureEncoder::map_columns(const FeatureTable& t, const std::string& what) const {
  std::vector<int> out;
  for (const Column& c : columns_) {
    int found = -1;
    for (size_t j = 0; j < t.columns.size(); ++j)
      if (t.columns[j].name == c.name) found = static_cast<int>(j);
    if (found < 0)
      throw Error(ErrorKind::UndefinedColumn,
                  what + " no longer has the column \"" + c.name + "\" the model was trained on",
                  "Retrain the model (CALL autorec_retrain) after changing the feature columns.");
    if (t.columns[static_cast<size_t>(found)].kind != c.kind)
      throw Error(ErrorKind::DatatypeMismatch,
                  "column \"" + c.name + "\" of " + what + " is now " +
                      feature_kind_name(t.columns[static_cast<size_t>(found)].kind) +
                      ", but the model was trained on it as " + feature_kind_name(c.kind),
                  "Retrain the model (CALL autorec_retrain) after changing the feature columns.");
    out.push_back(found);
  }
  return out;
}

void FeatureEncoder::encode_row(const FeatureTable& t, const std::vector<int>& column_of, size_t r,
                                std::vector<uint32_t>& index, std::vector<float>& value) const {
  for (size_t k = 0; k < columns_.size(); ++k) {
    const Column& c = columns_[k];
    const FeatureColumn& src = t.columns[static_cast<size_t>(column_of[k])];
    if (c.kind == FeatureKind::Numeric) {
      const double x = src.numbers[r];
      index.push_back(c.first);
      value.push_back(std::isfinite(x) ? static_cast<float>((x - c.mean) / c.scale) : 0.0f);
      continue;
    }
    const size_t start = index.size();
    for (uint32_t p = src.offsets[r]; p < src.offsets[r + 1]; ++p) {
      auto it = std::lower_bound(c.vocab.begin(), c.vocab.end(), src.tokens[p]);
      if (it == c.vocab.end() || *it != src.tokens[p]) continue;
      const uint32_t f = c.first + static_cast<uint32_t>(it - c.vocab.begin());
      if (std::find(index.begin() + static_cast<std::ptrdiff_t>(start), index.end(), f) !=
          index.end())
        continue;  // a token repeated within one array counts once
      index.push_back(f);
      value.push_back(1.0f);
    }
    const size_t n = index.size() - start;
    if (c.kind == FeatureKind::Set && n > 1) {
      const float v = 1.0f / std::sqrt(static_cast<float>(n));
      std::fill(value.begin() + static_cast<std::ptrdiff_t>(start), value.end(), v);
    }
  }
}

void FeatureEncoder::save(Writer& w) const {
  w.put<uint32_t>(size_);
  w.put<uint64_t>(columns_.size());
  for (const Column& c : columns_) {
    w.put_string(c.name);
    w.put<uint8_t>(static_cast<uint8_t>(c.kind));
    w.put<double>(c.mean);
    w.put<double>(c.scale);
    w.put<uint64_t>(c.vocab.size());
    for (const std::string& s : c.vocab) w.put_string(s);
  }
}

void FeatureEncoder::load(Reader& r, uint32_t base) {
  FeatureEncoder e;
  e.base_ = base;
  e.size_ = r.get<uint32_t>();
  const uint64_t n_cols = r.get<uint64_t>();
  if (n_cols > r.remaining() / 8) Reader::corrupt("feature column count");
  uint64_t next = base;
  for (uint64_t k = 0; k < n_cols; ++k) {
    Column c;
    c.name = r.get_string(1u << 16);
    const uint8_t kind = r.get<uint8_t>();
    if (kind > static_cast<uint8_t>(FeatureKind::Set)) Reader::corrupt("feature column kind");
    c.kind = static_cast<FeatureKind>(kind);
    c.mean = r.get<double>();
    c.scale = r.get<double>();
    if (!std::isfinite(c.mean) || !std::isfinite(c.scale) || c.scale <= 0)
      Reader::corrupt("feature standardisation");
    const uint64_t n_vocab = r.get<uint64_t>();
    if (n_vocab > r.remaining() / 8) Reader::corrupt("feature vocabulary size");
    if (c.kind == FeatureKind::Numeric && n_vocab != 0)
      Reader::corrupt("numeric feature vocabulary");
    c.vocab.reserve(n_vocab);
    for (uint64_t j = 0; j < n_vocab; ++j) {
      c.vocab.push_back(r.get_string());
      if (j > 0 && !(c.vocab[j - 1] < c.vocab[j])) Reader::corrupt("feature vocabulary order");
    }
    c.first = static_cast<uint32_t>(next);
    next += c.kind == FeatureKind::Numeric ? 1 : n_vocab;
    if (next > UINT32_MAX) Reader::corrupt("feature count");
    e.columns_.push_back(std::move(c));
  }
  if (next - base != e.size_) Reader::corrupt("feature count");
  *this = std::move(e);
}

}  // namespace autorec
