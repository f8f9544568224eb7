-- Operations: the planner's row estimate of the serving functions is the requested n (their
-- SUPPORT function), their COST is set, and every catalog table and column and every public
-- routine and view of the extension has a description (\d+, \df+ show them).
SET client_min_messages = warning;
CALL autorec_train('ops_knn', 'knn', 'ratings');
-- The estimate of the function scan (the first one in the plan) as EXPLAIN (COSTS ON) shows it.
CREATE FUNCTION pg_temp.plan_rows(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (COSTS ON, FORMAT JSON) ' || query INTO plan;
    RETURN jsonb_path_query_first(plan, 'strict $.** ? (@."Node Type" == "Function Scan" || @."Node Type" == "ProjectSet")."Plan Rows"');
END $$;
SELECT query, pg_temp.plan_rows(query) AS estimated_rows FROM (VALUES
    ('SELECT * FROM recommend(1, 7)'),
    ('SELECT * FROM recommend(1)'),
    ('SELECT * FROM recommend(1, n => 25, model => ''ops_knn'')'),
    ('SELECT * FROM recommend(1, 3 + 4)'),
    ('SELECT * FROM recommend(1, 0)'),
    ('SELECT * FROM recommend(1, -1)'),
    ('SELECT * FROM recommend(1, NULL)'),
    ('SELECT * FROM recommend_for_ratings(ARRAY[1, 2], ARRAY[4.0, 5.0], 3)'),
    ('SELECT * FROM recommend_for_ratings(ARRAY[1, 2], ARRAY[4.0, 5.0])'),
    ('SELECT * FROM similar_items(1, 4, ''ops_knn'')'),
    ('SELECT recommend(1, 5)'),
    -- a constant candidate list shorter than n bounds the estimate; a longer one does not
    ('SELECT * FROM recommend(1, 10, candidates => ARRAY[3, 4, 5]::bigint[])'),
    ('SELECT * FROM recommend(1, 2, candidates => ARRAY[3, 4, 5]::bigint[])'),
    ('SELECT * FROM explain_recommendation(1, 2, ''ops_knn'')'),
    -- n from a column: the declared ROWS 10 per call
    ('SELECT r.* FROM (VALUES (2), (3)) v(k), LATERAL recommend(1, k) r')) q(query);
-- The same in EXPLAIN's text form: its first line.
CREATE FUNCTION pg_temp.explain_first_line(query text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    line text;
BEGIN
    EXECUTE 'EXPLAIN (COSTS ON) ' || query INTO line;
    RETURN regexp_replace(line, 'cost=[0-9.]+\.\.[0-9.]+ ', '');
END $$;
SELECT pg_temp.explain_first_line('SELECT * FROM recommend(1, 7)') AS explain;
-- A generic plan of a prepared statement: n is a parameter, the declared ROWS 10.
PREPARE ops_rec(int) AS SELECT * FROM recommend(1, $1);
SET plan_cache_mode = force_generic_plan;
CREATE FUNCTION pg_temp.prepared_rows() RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    plan jsonb;
BEGIN
    EXECUTE 'EXPLAIN (COSTS ON, FORMAT JSON) EXECUTE ops_rec(3)' INTO plan;
    RETURN plan->0->'Plan'->>'Plan Rows';
END $$;
SELECT pg_temp.prepared_rows() AS generic_plan_rows;
RESET plan_cache_mode;
DEALLOCATE ops_rec;
-- The serving results are unchanged: recommend(1, 7) returns 7 rows.
SELECT count(*) AS returned FROM recommend(1, 7);
SELECT p.proname, p.procost, p.prorows, p.prosupport
  FROM pg_proc p JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
 WHERE d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'autorec')
   AND p.proname IN ('recommend', 'recommend_for_ratings', 'similar_items', 'predict_rating',
                     'explain_recommendation')
 ORDER BY 1;

-- Descriptions. The members of the extension (pg_depend deptype 'e') without one: none.
CREATE TEMP VIEW ops_members AS
SELECT d.classid, d.objid, pg_describe_object(d.classid, d.objid, 0) AS object
  FROM pg_depend d
 WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
   AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'autorec');
SELECT m.object AS without_description
  FROM ops_members m
  LEFT JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
  LEFT JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
 WHERE obj_description(m.objid, (SELECT relname FROM pg_class WHERE oid = m.classid)) IS NULL
   AND (c.relkind IN ('r', 'v')                                            -- tables and views
        OR p.pronamespace = (SELECT extnamespace FROM pg_extension WHERE extname = 'autorec')
        OR m.classid IN ('pg_namespace'::regclass, 'pg_event_trigger'::regclass))
UNION ALL
SELECT pg_describe_object('pg_class'::regclass, a.attrelid, a.attnum)
  FROM ops_members m
  JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid AND c.relkind = 'r'
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE col_description(a.attrelid, a.attnum) IS NULL
 ORDER BY 1;
-- What the check covered (so that it cannot pass on an empty set).
SELECT CASE WHEN c.relkind = 'r' THEN 'table columns' WHEN c.relkind = 'v' THEN 'views'
            WHEN p.pronamespace = (SELECT extnamespace FROM pg_extension WHERE extname = 'autorec')
                 THEN 'public routines' END AS kind, count(*) AS described
  FROM ops_members m
  LEFT JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
  LEFT JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
  LEFT JOIN pg_attribute a ON c.relkind = 'r' AND a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE (c.relkind = 'r' AND col_description(a.attrelid, a.attnum) IS NOT NULL)
    OR (c.relkind = 'v' AND obj_description(c.oid, 'pg_class') IS NOT NULL)
    OR (p.pronamespace = (SELECT extnamespace FROM pg_extension WHERE extname = 'autorec')
        AND obj_description(p.oid, 'pg_proc') IS NOT NULL)
 GROUP BY 1 ORDER BY 1;
-- What \d+ shows for the model catalog.
SELECT a.attname, col_description(a.attrelid, a.attnum)
  FROM pg_attribute a WHERE a.attrelid = 'autorec.model'::regclass AND a.attnum > 0 ORDER BY a.attnum;
SELECT autorec_drop_model('ops_knn');
