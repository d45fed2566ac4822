-- "Campus Démo": a second learning platform, on PostgreSQL, holding the same
-- learners as the SQLite demo (examples/demo.sql) under other ids.
-- Times are timestamptz written in Paris time: portex must turn them into
-- the right UTC instants whatever the server's or session's time zone.
-- Amounts are numeric(12,2): 19.90 must stay "19.90".
SET client_min_messages = warning;
SET TimeZone = 'Europe/Paris';

CREATE TABLE accounts (
	id bigint PRIMARY KEY,
	email text NOT NULL UNIQUE,
	login text NOT NULL,
	display_name text,
	role text NOT NULL DEFAULT 'learner',
	organisation text,
	status text NOT NULL DEFAULT 'active',
	created_at timestamptz NOT NULL,
	last_login_at timestamptz
);
CREATE TABLE licences (
	id serial PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES accounts(id),
	product text NOT NULL,
	organisation text,
	starts_at timestamptz NOT NULL,
	ends_at timestamptz,
	status text NOT NULL
);
CREATE TABLE courses (code text PRIMARY KEY, title text NOT NULL);
CREATE TABLE course_progress (
	id serial PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES accounts(id),
	course text NOT NULL REFERENCES courses(code),
	module text,
	status text NOT NULL
		CHECK (status IN ('not_started', 'in_progress', 'completed')),
	percent numeric(5,2),
	time_spent interval,
	started_at timestamptz,
	completed_at timestamptz,
	updated_at timestamptz NOT NULL
);
CREATE TABLE scores (
	id serial PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES accounts(id),
	assessment text NOT NULL,
	assessment_title text,
	score numeric(6,2) NOT NULL,
	max_score numeric(6,2),
	passed boolean,
	attempt smallint NOT NULL DEFAULT 1,
	taken_at timestamptz NOT NULL
);
CREATE TABLE answers (
	id bigserial PRIMARY KEY,
	score_id integer NOT NULL REFERENCES scores(id),
	question text NOT NULL,
	prompt text,
	response jsonb NOT NULL,
	correct boolean,
	points numeric(6,2),
	submitted_at timestamptz NOT NULL
);
CREATE TABLE purchases (
	id serial PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES accounts(id),
	order_ref text NOT NULL,
	product text NOT NULL,
	quantity integer NOT NULL DEFAULT 1,
	amount numeric(12,2) NOT NULL,
	currency char(3) NOT NULL,
	purchased_at timestamptz NOT NULL,
	status text,
	invoice text
);
CREATE TABLE claims (
	id serial PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES accounts(id),
	reference text NOT NULL UNIQUE,
	subject text NOT NULL,
	description text,
	opened_at timestamptz NOT NULL,
	status text NOT NULL,
	closed_at timestamptz
);
CREATE TABLE claim_messages (
	claim_id integer NOT NULL REFERENCES claims(id),
	at timestamptz NOT NULL,
	author text NOT NULL,
	body text NOT NULL
);
CREATE TABLE certificates (
	id serial PRIMARY KEY,
	account_id bigint NOT NULL REFERENCES accounts(id),
	file_name text NOT NULL,
	media_type text NOT NULL,
	uploaded_at timestamptz NOT NULL,
	data bytea NOT NULL
);

INSERT INTO accounts VALUES
 (1001, 'alice.martin@example.org', 'alice.martin', 'Alice Martin — Zoë 🦊',
  'learner', 'Lycée Jean-Moulin, Besançon', 'active',
  '2025-09-01 08:15:00', '2026-01-05 10:00:00'),
 (1002, 'alice.dubois@example.org', 'adubois', 'Alice Dubois', 'learner',
  'Collège Pasteur', 'active', '2025-09-02 09:00:00', NULL),
 (1003, 'ines.garcia@example.org', 'ines', 'Inès García 🎻', 'teacher',
  'Lycée Jean-Moulin, Besançon', 'suspended', '2024-01-10 14:00:00',
  '2025-12-24 23:59:59.5');

INSERT INTO licences (account_id, product, organisation, starts_at, ends_at,
		      status) VALUES
 (1001, 'Maths Seconde — manuel numérique', 'Lycée Jean-Moulin, Besançon',
  '2025-09-01 00:00:00', '2026-07-04 23:59:59', 'active'),
 (1001, 'Physique-Chimie 1re', 'Lycée Jean-Moulin, Besançon',
  '2024-09-01 00:00:00', '2025-07-05 23:59:59', 'expired'),
 (1002, 'Français 5e', 'Collège Pasteur', '2025-09-01 00:00:00', NULL,
  'active');

INSERT INTO courses VALUES
 ('MATH-2-FN', 'Fonctions numériques'),
 ('MATH-2-PROBA', 'Probabilités'),
 ('PC-1-OPT', 'Optique géométrique');

INSERT INTO course_progress (account_id, course, module, status, percent,
			     time_spent, started_at, completed_at, updated_at)
VALUES
 (1001, 'MATH-2-FN', 'Chapitre 1', 'completed', 100, '2 hours 5 minutes',
  '2025-09-08 14:00:00', '2025-10-01 18:30:00', '2025-10-01 18:30:00'),
 (1001, 'MATH-2-PROBA', NULL, 'in_progress', 37.50, '45 minutes 30 seconds',
  '2026-01-05 10:00:00', NULL, '2026-07-01 12:30:00'),
 (1001, 'PC-1-OPT', NULL, 'not_started', 0, NULL, NULL, NULL,
  '2025-09-01 08:15:00'),
 (1002, 'MATH-2-FN', NULL, 'in_progress', 12.5, '10 minutes', NULL, NULL,
  '2025-09-20 11:00:00');

INSERT INTO scores (account_id, assessment, assessment_title, score,
		    max_score, passed, attempt, taken_at) VALUES
 (1001, 'QCM-FN-1', 'QCM — fonctions affines', 16.50, 20, true, 1,
  '2025-09-15 10:20:00'),
 (1001, 'QCM-FN-1', 'QCM — fonctions affines', 19.25, 20, true, 2,
  '2025-09-22 10:20:00'),
 (1002, 'QCM-FN-1', 'QCM — fonctions affines', 8, 20, false, 1,
  '2025-09-16 09:00:00');

INSERT INTO answers (score_id, question, prompt, response, correct, points,
		     submitted_at) VALUES
 (1, 'Q1', 'f(x) = 2x + 3 : que vaut f(0) ?', '3', true, 4,
  '2025-09-15 10:05:00'),
 (1, 'Q2', 'Cochez les fonctions affines.', '["2x+1", "x/3"]', true, 4,
  '2025-09-15 10:10:00'),
 (1, 'Q3', 'Justifiez.', '{"text": "Car a = 2 et b = 3 ✔︎", "draft": false}',
  false, 0.5, '2025-09-15 10:19:59.25'),
 (2, 'Q1', 'f(x) = 2x + 3 : que vaut f(0) ?', '3', true, 4,
  '2025-09-22 10:05:00'),
 (3, 'Q1', 'f(x) = 2x + 3 : que vaut f(0) ?', '5', false, 0,
  '2025-09-16 08:55:00');

INSERT INTO purchases (account_id, order_ref, product, quantity, amount,
		       currency, purchased_at, status, invoice) VALUES
 (1001, 'CMP-2025-0042', 'Cahier d''exercices Maths 2de', 1, 19.90, 'EUR',
  '2025-08-28 21:14:00', 'paid', 'F-2025-1187'),
 (1001, 'CMP-2026-0007', 'Annales corrigées', 2, 1234567890.05, 'EUR',
  '2026-07-01 12:30:00', 'refunded', NULL),
 (1002, 'CMP-2025-0050', 'Cahier d''exercices Français 5e', 1, 9.00, 'EUR',
  '2025-09-03 12:00:00', 'paid', 'F-2025-1190');

INSERT INTO claims (account_id, reference, subject, description, opened_at,
		    status, closed_at) VALUES
 (1001, 'RCL-2025-311', 'Accès impossible au manuel 😕',
  'Le code d''activation « MATH2-XK » est refusé.',
  '2025-09-03 19:40:00', 'closed', '2025-09-04 09:12:00'),
 (1002, 'RCL-2025-312', 'Facture', NULL, '2025-09-05 10:00:00', 'open',
  NULL);

INSERT INTO claim_messages VALUES
 (1, '2025-09-03 19:40:00', 'learner',
  'Le code d''activation « MATH2-XK » est refusé.'),
 (1, '2025-09-04 09:12:00', 'support', 'Code réactivé, bonne rentrée ! 🎒');

INSERT INTO certificates (account_id, file_name, media_type, uploaded_at,
			  data) VALUES
 (1001, 'attestation de réussite.txt', 'text/plain; charset=utf-8',
  '2025-10-01 18:31:00',
  convert_to(E'Attestation\nAlice Martin a terminé « Fonctions numériques ».\n',
	     'UTF8')),
 (1002, 'attestation.txt', 'text/plain', '2025-10-02 08:00:00',
  '\x4f4b0a');

-- A function with a side effect: a query that calls it must fail, and the
-- e2e tests prove the rows are still there afterwards.
CREATE TABLE audit_log (at timestamptz DEFAULT now(), what text);
CREATE FUNCTION log_access(who bigint) RETURNS bigint
LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO audit_log (what) VALUES ('read ' || who);
	RETURN who;
END
$$;

