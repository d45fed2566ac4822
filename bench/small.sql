-- small.sql - after examples/demo.sql: Alice (user 1) gets a typical
-- learner's history, ~300 records over the demo's 13 collections, to
-- measure what one export costs beyond its rows (bulk exports of
-- thousands of learners pay it once each).
INSERT INTO licences
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 10)
SELECT 100 + g, 1, 'Produit ' || g, 'Lycée Démo', '2025-09-01 00:00:00',
       '2026-08-31 23:59:59', 'active' FROM s;
INSERT INTO enrolments
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 40)
SELECT 1, (SELECT id FROM courses LIMIT 1), 'Module ' || g, 'in_progress',
       g * 2.5, g * 60, '2025-10-01 08:00:00', NULL, '2025-10-02 08:00:00'
FROM s;
INSERT INTO attempts
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 40)
SELECT 1000 + g, 1, 'QUIZ-' || g, 'Quiz ' || g || ' — révision', g % 20,
       20, g % 2, 1, datetime('2025-10-01 08:00:00', '+' || g || ' hours')
FROM s;
INSERT INTO responses
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 120)
SELECT 5000 + g, 1000 + (g - 1) / 3 + 1, 'q' || g, 'Question ' || g || ' ?',
       '"réponse ' || g || '"', g % 2, 1,
       datetime('2025-10-01 08:00:00', '+' || g || ' minutes')
FROM s;
INSERT INTO logins
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 60)
SELECT 1, 1760000000 + g * 3600, 'login', '192.0.2.' || g, 'Firefox', 600
FROM s;
INSERT INTO notes
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 10)
SELECT 1, (SELECT id FROM courses LIMIT 1), 'Note ' || g,
       '2025-10-03 08:00:00' FROM s;
