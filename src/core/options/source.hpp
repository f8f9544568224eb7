// The source options (user_column, item_column, rating_column, weight_column, implicit,
// min_rating, time_column, half_life_days): how a ratings source is read. Parsed here, in the
// core, so that the option reference (options/reference.hpp) lists them with the families'.
#pragma once

#include <cmath>
#include <string>

#include "core/options/options.hpp"

namespace autorec {

// What a reader needs from the rating column.
enum class RatingUse {
  Required,   // ratings (a rating family): a missing rating column is an error
  IfPresent,  // ratings when the source has the rating column, implicit input otherwise
  Never,      // implicit input (a ranking family); the rating column only filters (min_rating)
};

// The source options and how the caller uses ratings. Implicit input: each row is one
// interaction of weight 1, or of the weight in weight_column (> 0); min_rating keeps the rows
// rated at least that (an explicit table read as implicit data); implicit: true ignores the
// ratings.
struct SourceColumns {
  std::string user = "user_id", item = "item_id", rating = "rating";
  bool rating_named = false;  // rating_column given: a missing column is an error
  std::string weight;         // "" = 1 per row
  bool implicit = false;
  double min_rating = NAN;    // NaN = no filter
  // Time decay (implicit input): each interaction's weight times 2^(-age / half_life_days),
  // its age counted from the latest time in the source (time_column: an integer or numeric
  // number of seconds, a date, or a timestamp).
  std::string time;
  double half_life_days = NAN;
  RatingUse use = RatingUse::IfPresent;
  std::string algorithm;      // for the error when use is Required and there are no ratings
};

// Reads the source options (marking them as known, recorded with scope Source); `use` and
// `algorithm` are left to the caller.
SourceColumns read_source_columns(Options& options);

}  // namespace autorec
