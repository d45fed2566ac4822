-- gen.sql - a platform whose subject (bench@example.org) has :n answers
-- (n/100 attempts of 100 questions; 1,000,000 unless psql's variable n
-- is set) and 100,000 progress rows, beside 999 other learners with a
-- little history each. Built with generate_series: a few seconds on a
-- laptop.
\if :{?n}
\else
\set n 1000000
\endif
SELECT :n / 100 AS a \gset
SET client_min_messages = warning;
SET TimeZone = 'Europe/Paris';

CREATE TABLE accounts (
	id bigint PRIMARY KEY, email text NOT NULL UNIQUE, login text NOT NULL,
	created_at timestamptz NOT NULL
);
CREATE TABLE scores (
	id integer PRIMARY KEY, account_id bigint NOT NULL, assessment text NOT NULL,
	title text, score numeric(6,2) NOT NULL, max_score numeric(6,2),
	passed boolean, attempt integer NOT NULL, taken_at timestamptz NOT NULL
);
CREATE TABLE answers (
	id bigint PRIMARY KEY, score_id integer NOT NULL, question text NOT NULL,
	prompt text, response jsonb NOT NULL, correct boolean,
	points numeric(6,2), submitted_at timestamptz NOT NULL
);
CREATE TABLE course_progress (
	id integer PRIMARY KEY, account_id bigint NOT NULL, course text NOT NULL,
	module text, status text NOT NULL, percent numeric(5,2),
	time_spent_seconds integer, started_at timestamptz,
	updated_at timestamptz NOT NULL
);

INSERT INTO accounts
SELECT g, CASE g WHEN 1 THEN 'bench@example.org'
		 ELSE 'learner' || g || '@example.org' END,
       'learner' || g, timestamptz '2024-09-01 08:00' + g * interval '1 min'
FROM generate_series(1, 1000) g;

-- the subject: n/100 attempts; the others: 10 each
INSERT INTO scores
SELECT g, CASE WHEN g <= :a THEN 1 ELSE 2 + (g - :a - 1) / 10 END,
       'QCM-' || (g % 250), 'Quiz n° ' || (g % 250) || ' — révisions',
       (g % 2001) / 100.0, 20, g % 3 <> 0, 1 + g % 5,
       timestamptz '2024-09-02 09:00' + g * interval '17 min'
FROM generate_series(1, :a + 9990) g;

INSERT INTO answers
SELECT g, (g - 1) / 100 + 1, 'Q' || ((g - 1) % 100 + 1),
       'Question ' || ((g - 1) % 100 + 1) || ' : que vaut f(' || g % 97 || ') ?',
       CASE g % 3 WHEN 0 THEN to_jsonb(g % 41)
		  WHEN 1 THEN jsonb_build_array('a', g % 7)
		  ELSE jsonb_build_object('text', 'réponse ' || g, 'draft', false) END,
       g % 4 <> 0, (g % 5) * 0.25,
       timestamptz '2024-09-02 09:00' + g * interval '10 s'
FROM generate_series(1, :n) g;
-- the others' answers: 10 per attempt
INSERT INTO answers
SELECT :n + g, :a + (g - 1) / 10 + 1, 'Q' || g % 10, NULL,
       to_jsonb(g % 41), g % 2 = 0, 1, timestamptz '2024-10-01 09:00' + g * interval '10 s'
FROM generate_series(1, 99900) g;

INSERT INTO course_progress
SELECT g, CASE WHEN g <= 100000 THEN 1 ELSE 2 + g % 999 END,
       'COURSE-' || (g % 500), 'Module ' || (g % 12),
       (ARRAY['not_started', 'in_progress', 'completed'])[1 + g % 3],
       (g % 10001) / 100.0, g % 86400,
       timestamptz '2024-09-02 09:00' + g * interval '1 min',
       timestamptz '2024-09-03 09:00' + g * interval '1 min'
FROM generate_series(1, 110000) g;

CREATE INDEX ON scores (account_id);
CREATE INDEX ON answers (score_id);
CREATE INDEX ON course_progress (account_id);
VACUUM ANALYZE;
