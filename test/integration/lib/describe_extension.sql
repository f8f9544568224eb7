-- A canonical description of the installed autorec extension, one line per property:
--   <object> | <property>: <value line>
-- for every object that belongs to the extension (pg_depend deptype 'e'): functions, procedures
-- and aggregates (definition, attributes, COST/ROWS/SUPPORT/SET, ACL), tables and views
-- (columns, defaults, constraints, indexes, triggers, policies, row security, options, view
-- definitions, ACLs, the rows the script inserted), types, schemas, event triggers; comments
-- (pg_description, columns included), initial privileges (pg_init_privs) and the configuration
-- tables pg_dump dumps (pg_extension.extconfig). No OIDs and nothing a fresh install and an
-- updated one may legitimately differ in. upgrade.sh diffs two databases' descriptions: a line
-- that only one of them has names the object and the property that differ.
-- psql -X -tA -f describe_extension.sql DB
SET search_path = public;  -- the same object names in every database
WITH ext AS (
  SELECT e.oid, e.extconfig, e.extcondition, e.extrelocatable, n.nspname
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'autorec'
), members AS (
  SELECT d.classid, d.objid, pg_describe_object(d.classid, d.objid, 0) AS obj
    FROM pg_depend d, ext
   WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
), procs AS (
  SELECT m.obj, p.* FROM members m JOIN pg_proc p ON m.classid = 'pg_proc'::regclass AND p.oid = m.objid
), rels AS (  -- member relations, and the row types of member composite types
  SELECT m.obj, c.oid AS relid, c.relkind FROM members m
    JOIN pg_class c ON m.classid = 'pg_class'::regclass AND c.oid = m.objid
  UNION ALL
  SELECT m.obj, t.typrelid, 'c' FROM members m
    JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid AND t.typrelid <> 0
), cols AS (
  SELECT r.obj, r.relid, a.*, row_number() OVER (PARTITION BY r.relid ORDER BY a.attnum) AS pos
    FROM rels r JOIN pg_attribute a ON a.attrelid = r.relid AND a.attnum > 0 AND NOT a.attisdropped
), props(obj, prop, val) AS (
  SELECT 'extension autorec', 'extension',
         format('schema=%s relocatable=%s', nspname, extrelocatable) FROM ext
  UNION ALL
  SELECT 'extension autorec', 'comment', obj_description(oid, 'pg_extension') FROM ext
  UNION ALL  -- the configuration tables pg_dump dumps, with their filters
  SELECT 'extension autorec', 'config ' || c.cfg::regclass::text, coalesce(c.cond, '<no filter>')
    FROM ext, unnest(ext.extconfig, ext.extcondition) c(cfg, cond)
  UNION ALL
  SELECT obj, 'member', (pg_identify_object(classid, objid, 0)).type FROM members
  -- functions, procedures, aggregates
  UNION ALL
  SELECT obj, 'definition', pg_get_functiondef(oid) FROM procs WHERE prokind <> 'a'
  UNION ALL
  SELECT obj, 'attributes',
         format('kind=%s language=%s volatility=%s strict=%s security_definer=%s leakproof=%s '
                'parallel=%s cost=%s rows=%s support=%s config=%s',
                prokind, (SELECT lanname FROM pg_language l WHERE l.oid = prolang), provolatile,
                proisstrict, prosecdef, proleakproof, proparallel, procost, prorows,
                nullif(prosupport::oid, 0)::regprocedure, proconfig)
    FROM procs
  UNION ALL
  SELECT obj, 'signature',
         format('(%s) returns %s', pg_get_function_arguments(oid), pg_get_function_result(oid))
    FROM procs
  UNION ALL
  SELECT p.obj, 'aggregate',
         format('kind=%s transfn=%s finalfn=%s combinefn=%s serialfn=%s deserialfn=%s stype=%s '
                'sspace=%s initval=%s finalextra=%s finalmodify=%s',
                a.aggkind, nullif(a.aggtransfn::oid, 0)::regprocedure,
                nullif(a.aggfinalfn::oid, 0)::regprocedure, nullif(a.aggcombinefn::oid, 0)::regprocedure,
                nullif(a.aggserialfn::oid, 0)::regprocedure, nullif(a.aggdeserialfn::oid, 0)::regprocedure,
                format_type(a.aggtranstype, NULL), a.aggtransspace, a.agginitval, a.aggfinalextra,
                a.aggfinalmodify)
    FROM procs p JOIN pg_aggregate a ON a.aggfnoid = p.oid
  UNION ALL
  SELECT obj, 'acl', proacl::text FROM procs
  -- relations
  UNION ALL
  SELECT r.obj, 'relation',
         format('kind=%s persistence=%s row_security=%s force_row_security=%s options=%s',
                c.relkind, c.relpersistence, c.relrowsecurity, c.relforcerowsecurity, c.reloptions)
    FROM rels r JOIN pg_class c ON c.oid = r.relid WHERE r.relkind <> 'c'
  UNION ALL
  SELECT r.obj, 'acl', c.relacl::text FROM rels r JOIN pg_class c ON c.oid = r.relid WHERE r.relkind <> 'c'
  UNION ALL
  SELECT obj, 'view definition', pg_get_viewdef(relid, true) FROM rels WHERE relkind IN ('v', 'm')
  UNION ALL
  SELECT obj, format('column %s %s', lpad(pos::text, 2, '0'), attname),
         concat_ws(' ', format_type(atttypid, atttypmod),
                   CASE WHEN attnotnull THEN 'NOT NULL' END,
                   CASE WHEN attidentity <> '' THEN 'IDENTITY ' || attidentity::text END,
                   CASE WHEN attgenerated <> '' THEN 'GENERATED ' || attgenerated::text END,
                   'DEFAULT ' || (SELECT pg_get_expr(d.adbin, d.adrelid) FROM pg_attrdef d
                                   WHERE d.adrelid = relid AND d.adnum = attnum),
                   'COLLATE ' || (SELECT collname FROM pg_collation
                                   WHERE oid = attcollation AND collname <> 'default'),
                   'ACL ' || attacl::text)
    FROM cols
  UNION ALL
  SELECT r.obj, 'constraint ' || k.conname, pg_get_constraintdef(k.oid)
    FROM rels r JOIN pg_constraint k ON k.conrelid = r.relid
  UNION ALL
  SELECT r.obj, 'index ' || i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
    FROM rels r JOIN pg_index i ON i.indrelid = r.relid
  UNION ALL
  SELECT r.obj, 'trigger ' || t.tgname, pg_get_triggerdef(t.oid, true) || ' enabled=' || t.tgenabled::text
    FROM rels r JOIN pg_trigger t ON t.tgrelid = r.relid AND NOT t.tgisinternal
  UNION ALL
  SELECT r.obj, 'policy ' || p.polname,
         format('command=%s permissive=%s roles=%s using=%s check=%s', p.polcmd, p.polpermissive,
                (SELECT array_agg(CASE WHEN x = 0 THEN 'public' ELSE x::regrole::text END ORDER BY 1)
                   FROM unnest(p.polroles) x),
                pg_get_expr(p.polqual, p.polrelid), pg_get_expr(p.polwithcheck, p.polrelid))
    FROM rels r JOIN pg_policy p ON p.polrelid = r.relid
  UNION ALL
  SELECT r.obj, 'sequence',
         format('type=%s start=%s increment=%s min=%s max=%s cache=%s cycle=%s',
                format_type(s.seqtypid, NULL), s.seqstart, s.seqincrement, s.seqmin, s.seqmax,
                s.seqcache, s.seqcycle)
    FROM rels r JOIN pg_sequence s ON s.seqrelid = r.relid
  UNION ALL  -- the rows the scripts put in member tables (none of them is expected to differ)
  SELECT obj, 'contents',
         (xpath('/row/c/text()',
                query_to_xml(format('SELECT count(*) || '' rows, md5 '' || md5(coalesce('
                                    'string_agg(t::text, E''\n'' ORDER BY t::text), '''')) AS c FROM %s t',
                                    relid::regclass), false, true, '')))[1]::text
    FROM rels WHERE relkind IN ('r', 'p')
  -- types, schemas, event triggers
  UNION ALL
  SELECT m.obj, 'type',
         format('type=%s category=%s base=%s not_null=%s default=%s', t.typtype, t.typcategory,
                nullif(t.typbasetype, 0)::regtype, t.typnotnull, t.typdefault)
    FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
  UNION ALL
  SELECT m.obj, 'enum labels', string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
    FROM members m JOIN pg_enum e ON m.classid = 'pg_type'::regclass AND e.enumtypid = m.objid
   GROUP BY m.obj
  UNION ALL
  SELECT m.obj, 'constraint ' || k.conname, pg_get_constraintdef(k.oid)
    FROM members m JOIN pg_constraint k ON m.classid = 'pg_type'::regclass AND k.contypid = m.objid
  UNION ALL
  SELECT m.obj, 'acl', t.typacl::text
    FROM members m JOIN pg_type t ON m.classid = 'pg_type'::regclass AND t.oid = m.objid
  UNION ALL
  SELECT m.obj, 'acl', n.nspacl::text
    FROM members m JOIN pg_namespace n ON m.classid = 'pg_namespace'::regclass AND n.oid = m.objid
  UNION ALL
  SELECT m.obj, 'event trigger',
         format('event=%s function=%s enabled=%s tags=%s', e.evtevent, e.evtfoid::regprocedure,
                e.evtenabled, e.evttags)
    FROM members m JOIN pg_event_trigger e ON m.classid = 'pg_event_trigger'::regclass AND e.oid = m.objid
  -- comments, on members and on their columns
  UNION ALL
  SELECT m.obj, 'comment', d.description
    FROM members m JOIN pg_description d ON d.classoid = m.classid AND d.objoid = m.objid AND d.objsubid = 0
  UNION ALL
  SELECT c.obj, format('column %s %s comment', lpad(c.pos::text, 2, '0'), c.attname), d.description
    FROM cols c JOIN pg_description d
      ON d.classoid = 'pg_class'::regclass AND d.objoid = c.relid AND d.objsubid = c.attnum
  -- the privileges pg_dump takes as the extension's own (set by the scripts)
  UNION ALL
  SELECT m.obj, 'initial privileges' || CASE WHEN i.objsubid <> 0 THEN ' of column ' || i.objsubid ELSE '' END,
         i.privtype::text || ' ' || i.initprivs::text
    FROM members m JOIN pg_init_privs i ON i.classoid = m.classid AND i.objoid = m.objid
)
SELECT obj || ' | ' || prop || ': ' || line
  FROM props, regexp_split_to_table(coalesce(val, '<null>'), E'\n') WITH ORDINALITY AS l(line, n)
 ORDER BY obj COLLATE "C", prop COLLATE "C", n;
