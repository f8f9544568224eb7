-- Training stops on statement_timeout (reading and fitting) and stores nothing.
SET client_min_messages = warning;
CREATE TABLE many_ratings AS
SELECT (g % 50000) AS user_id, (g * 7919 % 20000) AS item_id, (g % 5 + 1) AS rating
  FROM generate_series(1::bigint, 2000000) g;
SET statement_timeout = '300ms';
CALL autorec_train('slow', 'baseline', 'many_ratings', '{"epochs": 1000}');
RESET statement_timeout;
SELECT count(*) AS stored FROM autorec.model WHERE name = 'slow';
-- After the cancellation the backend still works.
SELECT count(*) FROM recommend(1, 3, 'base');
DROP TABLE many_ratings;
