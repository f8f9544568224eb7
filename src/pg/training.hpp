// Training from SQL: progress NOTICEs, progress in pg_stat_activity, cancellation, and the
// bytea the weights are stored in.
#pragma once

#include <memory>
#include <string>

#include "core/recommender.hpp"
#include "pg/postgres.hpp"

namespace autorec::pg {

// A FitContext wired to PostgreSQL: polls for query cancel / termination, reports progress as
// NOTICEs and in pg_stat_activity.query (prefixed with `label`).
FitContext fit_context(const std::string& label);

// Reports a progress line the same way (NOTICE + pg_stat_activity).
void report_progress(const std::string& label, const std::string& message);

// The serialized model as a palloc'd bytea; errors clearly when it exceeds bytea's 1 GB.
bytea* to_bytea(const std::vector<uint8_t>& bytes);

// read_features() with a progress line.
FeatureTable read_features_reporting(const std::string& label, const std::string& source,
                                     const std::string& id_column, const std::string& what);

// The options jsonb as JSON text.
std::string jsonb_text(Jsonb* options);

}  // namespace autorec::pg
