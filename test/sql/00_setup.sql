-- Installs the extension and makes the small deterministic data sets the other tests share.
CREATE EXTENSION autorec;
-- 30 users x 40 items, a third of the pairs rated (chosen by a hash, so that users share items
-- in every combination), ratings 1..5 from user and item "tastes".
CREATE TABLE ratings AS
SELECT u AS user_id, i AS item_id, (1 + ((u % 4) * (i % 4) + i % 3 + u % 2) % 5)::int AS rating
  FROM generate_series(1, 30) u, generate_series(1, 40) i
 WHERE abs(hashint4(u * 1000 + i)) % 3 = 0;
SELECT count(*) AS n_ratings, count(DISTINCT user_id) AS n_users, count(DISTINCT item_id) AS n_items
  FROM ratings;
-- Held-out ratings of the same users on other pairs.
CREATE TABLE held_out AS
SELECT u AS user_id, i AS item_id, (1 + ((u % 4) * (i % 4) + i % 3 + u % 2) % 5)::int AS rating
  FROM generate_series(1, 30) u, generate_series(1, 40) i
 WHERE abs(hashint4(u * 1000 + i)) % 3 = 1;
