// Reading ratings from a table, view or SELECT query through an SPI cursor, in batches.
#pragma once

#include <string>

#include "core/features.hpp"
#include "core/options.hpp"
#include "core/ratings.hpp"

namespace autorec::pg {

struct SourceColumns {
  std::string user = "user_id", item = "item_id", rating = "rating";
};

struct SourceStats {
  std::string resolved;      // the relation's qualified name, or the query as given
  uint64_t rows = 0;         // rows read
  uint64_t skipped_null = 0; // rows with a NULL user, item or rating
  double seconds = 0;
};

// Runs with the caller's privileges. Errors: unknown relation, missing columns (listing the
// ones found), wrong column types. Connects to SPI for the read and disconnects after.
RawRatings read_ratings(const std::string& source, const SourceColumns& cols, SourceStats& stats);

// Reads a feature source (table, view or query): the id column `id_column` (any integer type;
// rows with a NULL id are skipped) and every other column as a feature: numeric types, date
// and timestamps as numbers, arrays as sets of tokens, booleans, text and any other type as
// one token (its text form). `what` names the option in messages ("user_features"). Connects
// to SPI for the read and disconnects after.
FeatureTable read_features(const std::string& source, const std::string& id_column,
                           const std::string& what, SourceStats& stats);

// Reads user_column/item_column/rating_column from the options (marking them as known).
SourceColumns source_columns(Options& options);

}  // namespace autorec::pg
