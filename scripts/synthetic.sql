-- The demo's synthetic stand-in for MovieLens 100K (scripts/demo.sh --synthetic; the README
-- examples test loads it too). Fills ratings (user_id, item_id, rating, ts) and movies (item_id,
-- title), which the caller creates. Users and items with latent tastes, so that collaborative
-- filtering has something to find: 100,000 distinct (user, item) pairs, popular items drawn
-- more often.
DO $$ BEGIN PERFORM setseed(0.1); END $$;
INSERT INTO ratings
SELECT u, i, greatest(1, least(5, round(3 + 1.5 * sin(u * 0.37 + i * 0.11) + random() - 0.5))), 0
  FROM (SELECT u, i, min(n) AS first_draw
          FROM (SELECT n, (random() * 942)::int + 1 AS u, (power(random(), 2) * 1681)::int + 1 AS i
                  FROM generate_series(1, 140000) n) draws
         GROUP BY u, i
         ORDER BY first_draw
         LIMIT 100000) pairs;
INSERT INTO movies SELECT i, 'Synthetic movie ' || i FROM generate_series(1, 1682) i;
