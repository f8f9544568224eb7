// Parsing the source options.
#include "core/options/source.hpp"

#include "core/error.hpp"

namespace autorec {

SourceColumns read_source_columns(Options& o) {
  o.set_scope(OptionScope::Source);
  SourceColumns c;
  c.user = o.text("user_column", c.user);
  c.item = o.text("item_column", c.item);
  // Unset (null in the effective options), the rating column is "rating" if the source has it.
  const std::optional<std::string> rating = o.optional_text("rating_column");
  c.rating_named = rating.has_value();
  c.rating = rating.value_or(c.rating);
  c.weight = o.optional_text("weight_column").value_or("");
  c.implicit = o.boolean("implicit", false);
  c.min_rating = o.optional_number("min_rating", -1e300, 1e300).value_or(NAN);
  c.time = o.optional_text("time_column").value_or("");
  c.half_life_days = o.optional_number("half_life_days", 1e-6, 1e9).value_or(NAN);
  o.set_scope(OptionScope::Algorithm);
  if (c.time.empty() != std::isnan(c.half_life_days))
    throw Error(ErrorKind::InvalidParameter,
                "options \"time_column\" and \"half_life_days\" go together",
                "Time decay weighs each interaction by 2^(-age / half_life_days), its age taken "
                "from time_column; give both, or neither.");
  return c;
}

}  // namespace autorec
