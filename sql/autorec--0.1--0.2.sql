-- autorec 0.1 -> 0.2 (ALTER EXTENSION autorec UPDATE): everything autorec--0.2.sql has beyond
-- autorec--0.1.sql, in the order it was added. sql/autorec--0.1.sql is the 0.1 release's script,
-- kept unchanged (CREATE EXTENSION autorec VERSION '0.1' installs it); the 0.2 library still
-- exports every C symbol it names, so a 0.1 installation keeps working until it is updated.
-- test/integration/upgrade.sh checks that an updated installation equals a fresh one.
\echo Use "ALTER EXTENSION autorec UPDATE TO '0.2'" to load this file. \quit

-- error contract (issue 14, item 6): autorec_split's missing column quotes the name and gives
-- the columns as DETAIL, what to do as HINT (the same SQLSTATE, 42703).
CREATE OR REPLACE FUNCTION autorec._split(source text, train_table text, test_table text,
                               test_fraction double precision, seed integer, options jsonb,
                               caller_path text)
    RETURNS TABLE (train_rows bigint, test_rows bigint)
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    method text := coalesce(options->>'method', 'random');
    ucol text := coalesce(options->>'user_column', 'user_id');
    tcol text := options->>'time_column';
    view_sql text;
    creation_schema name;
    train_parts text[];
    test_parts text[];
    test_pred text;
    key text;
    unknown text;
    cols text[];
    needed text;
BEGIN
    IF source IS NULL OR train_table IS NULL OR test_table IS NULL THEN
        RAISE EXCEPTION 'source, train_table and test_table must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF test_fraction IS NULL OR NOT (test_fraction > 0::float8 AND test_fraction < 1::float8) THEN
        RAISE EXCEPTION 'test_fraction must be between 0 and 1 (exclusive), got %', test_fraction
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF seed IS NULL THEN
        RAISE EXCEPTION 'seed must not be NULL' USING ERRCODE = 'null_value_not_allowed',
            HINT = 'Any integer; the same seed gives the same split.';
    END IF;
    IF caller_path IS NULL THEN
        RAISE EXCEPTION 'caller_path must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    SELECT string_agg(k, ', ') INTO unknown
      FROM jsonb_object_keys(coalesce(options, '{}')) k
     WHERE k NOT IN ('method', 'user_column', 'time_column');
    IF unknown IS NOT NULL THEN
        RAISE EXCEPTION 'unknown option(s) for autorec_split: %', unknown
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Valid options: method, user_column, time_column.';
    END IF;
    IF method NOT IN ('random', 'user', 'time') THEN
        RAISE EXCEPTION 'option "method" has an invalid value "%"', method
            USING ERRCODE = 'invalid_parameter_value', HINT = 'Valid values: random, user, time.';
    END IF;
    IF method = 'time' AND tcol IS NULL THEN
        RAISE EXCEPTION 'method "time" needs the option time_column'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The newline ends a trailing "-- comment" of a query before the closing parenthesis.
    IF source ~* '^\s*\(?\s*(select|with|values|table)\M' THEN
        view_sql := format(E'CREATE TEMP VIEW autorec_split_src AS SELECT * FROM (%s\n) s',
                           rtrim(source, '; '));
    ELSE
        view_sql := format('CREATE TEMP VIEW autorec_split_src AS SELECT * FROM %s',
                           autorec._quote_name(source));
    END IF;
    train_parts := parse_ident(train_table);
    test_parts := parse_ident(test_table);

    -- On the caller's search_path, until the next set_config: nothing but these statements.
    PERFORM pg_catalog.set_config('search_path'::pg_catalog.text, caller_path, true);
    EXECUTE view_sql;
    creation_schema := pg_catalog.current_schema();
    PERFORM pg_catalog.set_config('search_path'::pg_catalog.text,
                                  'pg_catalog, pg_temp'::pg_catalog.text, true);

    -- Unqualified table names: in the caller's current schema, where CREATE TABLE would put them.
    IF cardinality(train_parts) = 1 OR cardinality(test_parts) = 1 THEN
        IF creation_schema IS NULL THEN
            RAISE EXCEPTION 'no schema has been selected to create in'
                USING ERRCODE = 'invalid_schema_name',
                      HINT = 'Qualify the table names or set search_path.';
        END IF;
    END IF;
    IF cardinality(train_parts) = 1 THEN
        train_parts := ARRAY[creation_schema::text] || train_parts;
    END IF;
    IF cardinality(test_parts) = 1 THEN
        test_parts := ARRAY[creation_schema::text] || test_parts;
    END IF;
    train_table := (SELECT string_agg(quote_ident(p), '.' ORDER BY o)
                      FROM unnest(train_parts) WITH ORDINALITY AS u(p, o));
    test_table := (SELECT string_agg(quote_ident(p), '.' ORDER BY o)
                     FROM unnest(test_parts) WITH ORDINALITY AS u(p, o));

    -- The column a method splits by must exist: the error lists the columns the source has.
    needed := CASE method WHEN 'user' THEN ucol WHEN 'time' THEN tcol END;
    IF needed IS NOT NULL THEN
        SELECT array_agg(a.attname::text ORDER BY a.attnum) INTO cols
          FROM pg_attribute a
         WHERE a.attrelid = 'pg_temp.autorec_split_src'::regclass
           AND a.attnum > 0::int2 AND NOT a.attisdropped;
        IF NOT coalesce(needed = ANY (cols), false) THEN
            RAISE EXCEPTION 'the source has no column "%"', needed
                USING ERRCODE = 'undefined_column',
                      DETAIL = format('Its columns are: %s.', array_to_string(cols, ', ')),
                      HINT = format('Name another column with the option %s.',
                                    CASE method WHEN 'user' THEN 'user_column' ELSE 'time_column' END);
        END IF;
    END IF;
    -- A deterministic pseudo-random key per row: the hash of the whole row and the seed.
    key := format('pg_catalog.hashtextextended(s::pg_catalog.text, %s::pg_catalog.int8)', seed);
    IF method = 'random' THEN
        test_pred := format('(%s OPERATOR(pg_catalog.&) 1048575::pg_catalog.int8) '
                            'OPERATOR(pg_catalog.<) %s::pg_catalog.int8',
                            key, floor(test_fraction * 1048576::float8)::bigint);
    ELSIF method = 'user' THEN
        -- Per user, the same fraction of that user's ratings goes to the test set.
        test_pred := format('(pg_catalog.percent_rank() OVER (PARTITION BY s.%I ORDER BY %s)) '
                            'OPERATOR(pg_catalog.>=) %s::pg_catalog.float8',
                            ucol, key, 1::float8 - test_fraction);
    ELSE
        -- The latest ratings (by time_column) form the test set.
        test_pred := format('(pg_catalog.percent_rank() OVER (ORDER BY s.%I, %s)) '
                            'OPERATOR(pg_catalog.>=) %s::pg_catalog.float8',
                            tcol, key, 1::float8 - test_fraction);
    END IF;
    EXECUTE format('CREATE TEMP TABLE autorec_split_tmp ON COMMIT DROP AS '
                   'SELECT s.*, %s AS autorec_is_test FROM pg_temp.autorec_split_src s', test_pred);
    DROP VIEW pg_temp.autorec_split_src;
    EXECUTE format('CREATE TABLE %s AS SELECT (t).* FROM (SELECT t FROM pg_temp.autorec_split_tmp t '
                   'WHERE NOT autorec_is_test) x', train_table);
    EXECUTE format('ALTER TABLE %s DROP COLUMN autorec_is_test', train_table);
    EXECUTE format('CREATE TABLE %s AS SELECT (t).* FROM (SELECT t FROM pg_temp.autorec_split_tmp t '
                   'WHERE autorec_is_test) x', test_table);
    EXECUTE format('ALTER TABLE %s DROP COLUMN autorec_is_test', test_table);
    DROP TABLE pg_temp.autorec_split_tmp;
    RETURN QUERY EXECUTE format('SELECT (SELECT pg_catalog.count(*) FROM %s), '
                                '(SELECT pg_catalog.count(*) FROM %s)', train_table, test_table);
END $$;
