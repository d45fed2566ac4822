-- gen_sqlite.sql - the platform of gen.sql as an SQLite file, as an older
-- product would keep it: times as UTC text "YYYY-MM-DD HH:MM:SS", booleans
-- as 0/1, responses as JSON text. The subject (bench@example.org) has n
-- answers, n read from the table p(n) that run.sh creates first.
CREATE TABLE accounts (
	id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, login TEXT NOT NULL,
	created_at TEXT NOT NULL
);
CREATE TABLE scores (
	id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL,
	assessment TEXT NOT NULL, title TEXT, score REAL NOT NULL,
	max_score REAL, passed INTEGER, attempt INTEGER NOT NULL,
	taken_at TEXT NOT NULL
);
CREATE TABLE answers (
	id INTEGER PRIMARY KEY, score_id INTEGER NOT NULL,
	question TEXT NOT NULL, prompt TEXT, response TEXT NOT NULL,
	correct INTEGER, points REAL, submitted_at TEXT NOT NULL
);
CREATE TABLE course_progress (
	id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL,
	course TEXT NOT NULL, module TEXT, status TEXT NOT NULL, percent REAL,
	time_spent_seconds INTEGER, started_at TEXT, updated_at TEXT NOT NULL
);

INSERT INTO accounts
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 1000)
SELECT g, CASE g WHEN 1 THEN 'bench@example.org'
		 ELSE 'learner' || g || '@example.org' END,
       'learner' || g, datetime('2024-09-01 06:00:00', '+' || g || ' minutes')
FROM s;

INSERT INTO scores
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s
			WHERE g < (SELECT n / 100 + 9990 FROM p))
SELECT g, CASE WHEN g <= (SELECT n / 100 FROM p) THEN 1
	       ELSE 2 + (g - (SELECT n / 100 FROM p) - 1) / 10 END,
       'QCM-' || (g % 250), 'Quiz n° ' || (g % 250) || ' — révisions',
       (g % 2001) / 100.0, 20, g % 3 <> 0, 1 + g % 5,
       datetime('2024-09-02 07:00:00', '+' || (g * 17) || ' minutes')
FROM s;

INSERT INTO answers
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s
			WHERE g < (SELECT n FROM p))
SELECT g, (g - 1) / 100 + 1, 'Q' || ((g - 1) % 100 + 1),
       'Question ' || ((g - 1) % 100 + 1) || ' : que vaut f(' || (g % 97) || ') ?',
       CASE g % 3 WHEN 0 THEN json(g % 41)
		  WHEN 1 THEN json_array('a', g % 7)
		  ELSE json_object('text', 'réponse ' || g, 'draft', json('false')) END,
       g % 4 <> 0, (g % 5) * 0.25,
       datetime('2024-09-02 07:00:00', '+' || (g * 10) || ' seconds')
FROM s;
INSERT INTO answers
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 99900)
SELECT (SELECT n FROM p) + g, (SELECT n / 100 FROM p) + (g - 1) / 10 + 1,
       'Q' || (g % 10), NULL, json(g % 41), g % 2 = 0, 1,
       datetime('2024-10-01 07:00:00', '+' || (g * 10) || ' seconds')
FROM s;

INSERT INTO course_progress
WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 110000)
SELECT g, CASE WHEN g <= 100000 THEN 1 ELSE 2 + g % 999 END,
       'COURSE-' || (g % 500), 'Module ' || (g % 12),
       CASE g % 3 WHEN 0 THEN 'not_started' WHEN 1 THEN 'in_progress'
			 ELSE 'completed' END, (g % 10001) / 100.0, g % 86400,
       datetime('2024-09-02 07:00:00', '+' || g || ' minutes'),
       datetime('2024-09-03 07:00:00', '+' || g || ' minutes')
FROM s;

CREATE INDEX scores_account ON scores (account_id);
CREATE INDEX answers_score ON answers (score_id);
CREATE INDEX progress_account ON course_progress (account_id);
ANALYZE;
