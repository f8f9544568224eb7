// Training from SQL: progress NOTICEs, progress in pg_stat_activity, cancellation, and the
// bytea the weights are stored in.
#pragma once

#include <memory>
#include <string>

#include "core/features.hpp"
#include "core/recommender.hpp"
#include "pg/postgres.hpp"
#include "pg/source.hpp"

namespace autorec::pg {

// A FitContext wired to PostgreSQL: polls for query cancel / termination, reports progress as
// NOTICEs and in pg_stat_activity.query (prefixed with `label`).
FitContext fit_context(const std::string& label);

// Reports a progress line the same way (a NOTICE, or `level`, + pg_stat_activity).
void report_progress(const std::string& label, const std::string& message, int level = NOTICE);

// The serialized model as a palloc'd bytea; errors clearly when it exceeds bytea's 1 GB.
bytea* to_bytea(const std::vector<uint8_t>& bytes);

// Reads a model's user and item feature sources (those set), each with a progress line, on
// `search_path` (see read_ratings; empty: the current one).
FeatureSet read_feature_sources(const std::string& label, const FeatureSources& sources,
                                const SourceColumns& cols, const std::string& search_path = "");

// The progress line that ends a fit: the model's size, duplicates averaged, fit time.
void report_fitted(const std::string& label, const std::string& algorithm, const Recommender& rec);

// The search_path argument `argno` of _train, _refresh_features and _evaluate: the path their
// sources are read on; NULL or absent: "" (the current path).
std::string search_path_arg(FunctionCallInfo fcinfo, int argno);

// The options jsonb as JSON text.
std::string jsonb_text(Jsonb* options);

}  // namespace autorec::pg
