-- autorec 0.1 -> 0.2 (ALTER EXTENSION autorec UPDATE): everything autorec--0.2.sql has beyond
-- autorec--0.1.sql, in the order it was added. sql/autorec--0.1.sql is the 0.1 release's script,
-- kept unchanged (CREATE EXTENSION autorec VERSION '0.1' installs it); the 0.2 library still
-- exports every C symbol it names, so a 0.1 installation keeps working until it is updated.
-- test/integration/upgrade.sh checks that an updated installation equals a fresh one.
\echo Use "ALTER EXTENSION autorec UPDATE TO '0.2'" to load this file. \quit
