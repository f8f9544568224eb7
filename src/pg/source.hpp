// Reading ratings or implicit interactions from a table, view or SELECT query through an SPI
// cursor, in batches.
#pragma once

#include <cmath>
#include <string>

#include "core/features.hpp"
#include "core/options/options.hpp"
#include "core/options/source.hpp"
#include "core/ratings.hpp"
#include "pg/postgres.hpp"

namespace autorec::pg {

// The source options are parsed in the core (core/options/source.hpp).
using autorec::RatingUse;
using autorec::SourceColumns;

struct SourceStats {
  // When set, the read shows in pg_stat_activity.query as "<label>: reading <source>" before
  // its first fetch and with the rows read so far every few batches.
  std::string label;
  std::string resolved;      // the relation's qualified name, or the query as given
  uint64_t rows = 0;         // rows read
  uint64_t skipped_null = 0; // rows with a NULL user, item, rating or weight
  uint64_t below_min = 0;    // rows rated below min_rating, left out
  double seconds = 0;
};

// Runs with the current user's privileges (see AsModelOwner). `search_path` is the path the
// source's names are resolved on (and its functions run with) while it is read: the path of
// the session that trained the model, which the SQL functions pass on; the extension's own SQL
// always runs on `pg_catalog, pg_temp`. Empty: the current path (autorec_fit, called in the
// user's own query). Settings the source changes are undone after the read. Errors: unknown
// relation, missing columns (listing the ones found), wrong column types, no ratings where
// cols.use requires them. The result is implicit (RawRatings::implicit) unless it holds
// ratings. Connects to SPI for the read and disconnects after.
RawRatings read_ratings(const std::string& source, const SourceColumns& cols, SourceStats& stats,
                        const std::string& search_path);

// Reads a feature source (table, view or query): the id column `id_column` (any integer type;
// rows with a NULL id are skipped) and every other column as a feature: numeric types, date
// and timestamps as numbers, arrays as sets of tokens, booleans, text and any other type as
// one token (its text form). `what` names the option in messages ("user_features"). Connects
// to SPI for the read and disconnects after. `search_path` as for read_ratings.
FeatureTable read_features(const std::string& source, const std::string& id_column,
                           const std::string& what, SourceStats& stats,
                           const std::string& search_path);

// Reads the source options (read_source_columns in the core); `use` and `algorithm` are left
// to the caller.
inline SourceColumns source_columns(Options& options) { return read_source_columns(options); }

// Reading a model's sources with its owner's rights, as REFRESH MATERIALIZED VIEW runs the
// view's query as the view's owner. A model's source (and a content model's feature sources)
// is SQL its owner chose; when someone else trains the model -- a superuser or a member of the
// owner role, autorec_retrain in a superuser's pg_cron job, a superuser's autorec_train that
// replaces the model -- the sources run as the owner, as a security-restricted operation
// (no SET ROLE, no temporary tables), and the settings they change are reset at end(). So the
// owner's functions never run with the caller's rights, and the caller cannot feed data the
// owner may not read into the owner's model. A model that does not exist yet is owned by the
// caller, who trains it: nothing changes. Errors when the caller is neither the owner nor a
// member of the owner role, or when the owner role no longer exists.
class AsModelOwner {
 public:
  explicit AsModelOwner(const std::string& model);
  // Restores the caller's user id and security context if end() did not run (an error unwinds;
  // the transaction abort that follows resets the settings).
  ~AsModelOwner();
  AsModelOwner(const AsModelOwner&) = delete;
  AsModelOwner& operator=(const AsModelOwner&) = delete;
  // Back to the caller: settings changed by the sources reset, user id and context restored.
  void end();

 private:
  bool switched_ = false;
  Oid saved_user_ = InvalidOid;
  int saved_context_ = 0;
  int guc_level_ = 0;
};

}  // namespace autorec::pg
