#!/usr/bin/env bash
# Scheduled refresh with pg_cron: in the database pg_cron runs from (cron.database_name), a
# model scheduled with autorec_schedule_refresh is retrained by pg_cron's worker: a new version
# appears, cron.job_run_details reports success, the catalog shows when it was refreshed and how
# long it took; autorec_unschedule_refresh removes the job.
# Usage: pg_cron.sh (PGHOST/PGPORT/PGUSER of a server with pg_cron in shared_preload_libraries)
set -euo pipefail
DB=$(psql -X -tA -d postgres -c "SELECT current_setting('cron.database_name', true)")
preload=$(psql -X -tA -d postgres -c "SHOW shared_preload_libraries")
[[ "$preload" == *pg_cron* && -n "$DB" ]] ||
  { echo "the server does not preload pg_cron (shared_preload_libraries = '$preload')"; exit 1; }
q() { psql -X -tA -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
cleanup() {
  psql -X -q -d "$DB" -c "SET client_min_messages = warning" \
    -c "DROP EXTENSION IF EXISTS autorec CASCADE" -c "DROP TABLE IF EXISTS cron_ratings" \
    -c "DROP OWNED BY autorec_cron_owner" -c "DROP ROLE IF EXISTS autorec_cron_owner" \
    -c "DROP EXTENSION IF EXISTS pg_cron" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pg_cron;
CREATE EXTENSION autorec;
CREATE TABLE cron_ratings AS
SELECT u AS user_id, i AS item_id, 1 + (u * 7 + i * 3) % 5 AS rating
  FROM generate_series(1, 200) u, generate_series(1, 50) i WHERE (u + i) % 3 = 0;
CALL autorec_train('cron_model', 'baseline', 'cron_ratings');
SQL

# pg_cron 1.5+ accepts second intervals; older versions run at most once a minute.
cron_version=$(q -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_cron'")
if printf '%s\n' 1.5 "$cron_version" | sort -V -C; then schedule='5 seconds'; else schedule='* * * * *'; fi
echo "pg_cron $cron_version in database $DB, schedule '$schedule'"

job=$(q -c "SELECT autorec_schedule_refresh('cron_model', '$schedule')")
again=$(q -c "SELECT autorec_schedule_refresh('cron_model', '$schedule')")
[ "$job" = "$again" ] || { echo "scheduling twice made two jobs ($job, $again)"; exit 1; }
command=$(q -c "SELECT command FROM cron.job WHERE jobid = $job AND jobname = 'autorec_refresh_cron_model'")
echo "job $job: $command"
[ "$command" = "CALL public.autorec_retrain('cron_model')" ] || { echo "unexpected job command"; exit 1; }

# Wait for the first run to finish (bounded: a minute-granular schedule fires within 60 s).
status=""
for _ in $(seq 1 150); do
  status=$(q -c "SELECT status || ': ' || coalesce(return_message, '') FROM cron.job_run_details
                  WHERE jobid = $job AND status IN ('succeeded', 'failed')
                  ORDER BY start_time LIMIT 1")
  [ -n "$status" ] && break
  sleep 1
done
echo "first run: ${status:-none within 150 s}"
[[ "$status" == succeeded* ]] || { q -c "SELECT * FROM cron.job_run_details WHERE jobid = $job"; exit 1; }

row=$(q -F ' ' -c "SELECT version, last_refreshed = trained_at, last_refresh_seconds > 0
                     FROM autorec_models WHERE model = 'cron_model'")
echo "catalog after the run (version, last_refreshed = trained_at, last_refresh_seconds > 0): $row"
read -r version same positive <<<"$row"
[ "$version" -ge 2 ] || { echo "no new version after the scheduled run"; exit 1; }
[ "$same" = t ] && [ "$positive" = t ] || { echo "last_refreshed/last_refresh_seconds not recorded"; exit 1; }
q -c "SELECT model, version, last_refreshed, last_refresh_seconds FROM autorec_models" -P footer=off

[ "$(q -c "SELECT autorec_unschedule_refresh('cron_model')")" = t ] || { echo "unschedule failed"; exit 1; }
[ "$(q -c "SELECT count(*) FROM cron.job WHERE jobname = 'autorec_refresh_cron_model'")" = 0 ] ||
  { echo "the job is still scheduled"; exit 1; }
[ "$(q -c "SELECT autorec_unschedule_refresh('cron_model')")" = f ] ||
  { echo "unscheduling a job that does not exist should return false"; exit 1; }

# autorec_drop_model removes the model's jobs: its owner's, and every role's when a superuser
# drops it (pg_cron's row security shows a role its own jobs only); other models' jobs stay.
q -q >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE ROLE autorec_cron_owner;
GRANT USAGE ON SCHEMA cron TO autorec_cron_owner;
GRANT SELECT ON cron_ratings TO autorec_cron_owner;
CALL autorec_train('cron_other', 'baseline', 'cron_ratings');
SELECT autorec_schedule_refresh('cron_other', '0 4 * * *');
SELECT autorec_schedule_refresh('cron_model', '0 3 * * *');
SET ROLE autorec_cron_owner;
CALL autorec_train('cron_owned', 'baseline', 'cron_ratings');
SELECT autorec_schedule_refresh('cron_owned', '0 5 * * *');
RESET ROLE;
SQL
jobs() { q -c "SELECT string_agg(jobname || ':' || username, ' ' ORDER BY jobname) FROM cron.job"; }
echo "jobs before: $(jobs)"
notice=$(q -c "SELECT autorec_drop_model('cron_model')" 2>&1)
echo "$notice"
grep -q 'NOTICE:  removed pg_cron job [0-9]* (autorec_refresh_cron_model, role postgres) that refreshed model "cron_model"' <<<"$notice" ||
  { echo "no notice of the removed job"; exit 1; }
[ "$(jobs)" = "autorec_refresh_cron_other:postgres autorec_refresh_cron_owned:autorec_cron_owner" ] ||
  { echo "unexpected jobs after dropping cron_model: $(jobs)"; exit 1; }
# The owner (not a superuser) drops its own model: its job goes.
notice=$(q -c "SET ROLE autorec_cron_owner" -c "SELECT autorec_drop_model('cron_owned')" 2>&1 >/dev/null)
grep -q 'NOTICE:  removed pg_cron job [0-9]* (autorec_refresh_cron_owned, role autorec_cron_owner)' <<<"$notice" ||
  { echo "no notice for the owner's job: $notice"; exit 1; }
[ "$(jobs)" = "autorec_refresh_cron_other:postgres" ] || { echo "the owner's job stayed: $(jobs)"; exit 1; }
# A job another role made for a model (here: the owner's job, scheduled before a superuser
# drops the model) is removed when a superuser drops it.
q -q -c "SET client_min_messages = warning" -c "SET ROLE autorec_cron_owner" \
  -c "CALL autorec_train('cron_owned', 'baseline', 'cron_ratings')" \
  -c "SELECT autorec_schedule_refresh('cron_owned', '0 5 * * *')" >/dev/null
q -c "SELECT autorec_drop_model('cron_owned')" >/dev/null 2>&1
[ "$(jobs)" = "autorec_refresh_cron_other:postgres" ] || { echo "the superuser left a job: $(jobs)"; exit 1; }
q -q -c "SET client_min_messages = warning" -c "SELECT autorec_drop_model('cron_other')" -c "REVOKE USAGE ON SCHEMA cron FROM autorec_cron_owner" \
  -c "REVOKE SELECT ON cron_ratings FROM autorec_cron_owner" -c "DROP ROLE autorec_cron_owner" >/dev/null
[ -z "$(jobs)" ] || { echo "jobs left: $(jobs)"; exit 1; }
# A model name longer than 47 bytes: pg_cron cuts the job name to 63 bytes; both
# autorec_unschedule_refresh and autorec_drop_model still find the job.
long=$(printf 'm%.0s' $(seq 1 60))
q -q -c "SET client_min_messages = warning" -c "CALL autorec_train('$long', 'baseline', 'cron_ratings')" \
  -c "SELECT autorec_schedule_refresh('$long', '0 3 * * *')" >/dev/null
[ "$(q -c "SELECT autorec_unschedule_refresh('$long')")" = t ] || { echo "no job found for a long name"; exit 1; }
q -q -c "SELECT autorec_schedule_refresh('$long', '0 3 * * *')" >/dev/null
q -q -c "SELECT autorec_drop_model('$long')" >/dev/null 2>&1
[ -z "$(jobs)" ] || { echo "the long-named model's job stayed: $(jobs)"; exit 1; }
# Another model whose name shares those 47 bytes: dropping or unscheduling it leaves the first
# model's job alone (jobs are matched by their command, which names the model in full).
twin=$(printf 'm%.0s' $(seq 1 59))x
q -q -c "SET client_min_messages = warning" -c "CALL autorec_train('$long', 'baseline', 'cron_ratings')" \
  -c "CALL autorec_train('$twin', 'baseline', 'cron_ratings')" \
  -c "SELECT autorec_schedule_refresh('$long', '0 3 * * *')" >/dev/null
[ "$(q -c "SELECT autorec_unschedule_refresh('$twin')")" = f ] || { echo "unscheduling the twin removed a job"; exit 1; }
q -q -c "SELECT autorec_drop_model('$twin')" >/dev/null 2>&1
[ "$(q -c "SELECT count(*) FROM cron.job WHERE command LIKE '%$long'')'")" = 1 ] ||
  { echo "dropping the twin removed the other model's job: $(jobs)"; exit 1; }
q -q -c "SELECT autorec_drop_model('$long')" >/dev/null 2>&1
[ -z "$(jobs)" ] || { echo "jobs left after the twins: $(jobs)"; exit 1; }
# Without pg_cron in the database, autorec_drop_model still works.
q -q -c "DROP EXTENSION pg_cron" -c "SET client_min_messages = warning" \
  -c "CALL autorec_train('cron_model', 'baseline', 'cron_ratings')" -c "SELECT autorec_drop_model('cron_model')" >/dev/null
[ "$(q -c "SELECT count(*) FROM autorec.model")" = 0 ] || { echo "drop without pg_cron failed"; exit 1; }
echo "pg_cron: ok"
