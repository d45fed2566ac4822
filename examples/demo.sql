-- A small learning platform ("Classe Démo") as it might sit in an old
-- product's SQLite file. Two learners share a first name, so a test can
-- prove that one's export never carries the other's data.
-- Times are UTC, as the platform stored them.
PRAGMA foreign_keys = ON;

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	email TEXT NOT NULL UNIQUE,
	first_name TEXT, last_name TEXT, phone TEXT, birth_date TEXT,
	locale TEXT, created_at TEXT NOT NULL,
	username TEXT NOT NULL, role TEXT, school TEXT, status TEXT,
	last_login_at TEXT
);
CREATE TABLE licences (
	id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
	product TEXT NOT NULL, school TEXT, starts_at TEXT NOT NULL,
	ends_at TEXT, status TEXT
);
CREATE TABLE courses (id TEXT PRIMARY KEY, title TEXT NOT NULL);
CREATE TABLE enrolments (
	user_id INTEGER NOT NULL REFERENCES users(id),
	course_id TEXT NOT NULL REFERENCES courses(id), module TEXT,
	status TEXT NOT NULL, percent REAL, seconds INTEGER,
	started_at TEXT, completed_at TEXT, updated_at TEXT
);
CREATE TABLE attempts (
	id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
	quiz TEXT NOT NULL, quiz_title TEXT, points REAL NOT NULL,
	max_points REAL, passed INTEGER, attempt INTEGER, taken_at TEXT NOT NULL
);
CREATE TABLE responses (
	id INTEGER PRIMARY KEY, attempt_id INTEGER NOT NULL REFERENCES attempts(id),
	question TEXT NOT NULL, prompt TEXT, response TEXT NOT NULL,
	correct INTEGER, points REAL, submitted_at TEXT NOT NULL
);
CREATE TABLE orders (
	id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
	product TEXT NOT NULL, quantity INTEGER, amount_cents INTEGER NOT NULL,
	currency TEXT NOT NULL, ordered_at TEXT NOT NULL, status TEXT,
	invoice TEXT
);
CREATE TABLE tickets (
	id TEXT PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
	subject TEXT NOT NULL, body TEXT, opened_at TEXT NOT NULL,
	status TEXT, closed_at TEXT
);
CREATE TABLE ticket_messages (
	ticket_id TEXT NOT NULL REFERENCES tickets(id), at TEXT NOT NULL,
	author TEXT NOT NULL, text TEXT NOT NULL
);
CREATE TABLE logins (
	user_id INTEGER NOT NULL REFERENCES users(id), at INTEGER NOT NULL,
	event TEXT, ip TEXT, user_agent TEXT, duration INTEGER
);
CREATE TABLE uploads (
	id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users(id),
	filename TEXT NOT NULL, mime TEXT, uploaded_at TEXT, data BLOB NOT NULL
);
CREATE TABLE notes (
	user_id INTEGER NOT NULL REFERENCES users(id), course_id TEXT,
	text TEXT NOT NULL, created_at TEXT NOT NULL
);
CREATE TABLE recommendations (
	user_id INTEGER NOT NULL REFERENCES users(id), course_id TEXT,
	reason TEXT NOT NULL, computed_at TEXT NOT NULL
);
CREATE TABLE consents (
	user_id INTEGER NOT NULL REFERENCES users(id), purpose TEXT NOT NULL,
	given INTEGER NOT NULL, at TEXT NOT NULL, by TEXT, withdrawn_at TEXT
);

INSERT INTO users VALUES
 (1, 'alice.martin@example.org', 'Alice', 'Martin', '+33 6 12 34 56 78',
  '1990-04-12', 'fr-FR', '2024-09-01 08:15:00', 'amartin', 'learner',
  'Lycée Jean Moulin', 'active', '2026-11-20 18:02:11'),
 (2, 'alice.dubois@example.org', 'Alice', 'Dubois', '+33 6 98 76 54 32',
  '2011-02-03', 'fr-FR', '2025-01-10 10:00:00', 'adubois', 'pupil',
  'Collège Victor Hugo', 'active', '2026-11-21 07:45:00');

INSERT INTO licences VALUES
 (10, 1, 'Anglais B2 — Parcours certifiant', 'Lycée Jean Moulin',
  '2025-09-01 00:00:00', '2026-08-31 23:59:59', 'active'),
 (11, 1, 'Mathématiques Terminale', 'Lycée Jean Moulin',
  '2024-09-01 00:00:00', '2025-08-31 23:59:59', 'expired'),
 (12, 2, 'Français 6e', 'Collège Victor Hugo', '2025-09-01 00:00:00',
  '2026-08-31 23:59:59', 'active');

INSERT INTO courses VALUES
 ('EN-B2-01', 'Grammar in context'), ('EN-B2-02', 'Listening skills'),
 ('MA-T-05', 'Suites numériques'), ('FR-6-01', 'Le conte');

INSERT INTO enrolments VALUES
 (1, 'EN-B2-01', 'Unit 3', 'completed', 100, 5400, '2025-09-03 17:00:00',
  '2025-10-12 19:30:00', '2025-10-12 19:30:00'),
 (1, 'EN-B2-02', 'Unit 1', 'in_progress', 42.5, 1800, '2025-10-15 18:00:00',
  NULL, '2026-11-20 18:00:00'),
 (1, 'MA-T-05', NULL, 'not_started', 0, 0, NULL, NULL, '2024-09-01 08:15:00'),
 (2, 'FR-6-01', 'Chapitre 2', 'in_progress', 60, 2400,
  '2025-09-10 16:00:00', NULL, '2026-11-21 07:45:00');

INSERT INTO attempts VALUES
 (100, 1, 'EN-B2-01-Q3', 'Unit 3 — final quiz', 17.5, 20, 1, 1,
  '2025-10-12 19:20:00'),
 (101, 1, 'EN-B2-02-Q1', 'Listening 1', 6, 10, 0, 1, '2026-11-20 17:50:00'),
 (102, 2, 'FR-6-01-Q2', 'Le conte — quiz', 8, 10, 1, 1,
  '2026-11-21 07:40:00');

INSERT INTO responses VALUES
 (1000, 100, 'q1', 'Choose the right tense: "She ___ here since 2019."',
  '"has lived"', 1, 1, '2025-10-12 19:05:00'),
 (1001, 100, 'q2', 'Match the phrasal verbs', '{"give up":"abandonner","put off":"reporter"}',
  1, 2, '2025-10-12 19:10:00'),
 (1002, 101, 'q1', 'What time does the train leave?', '["10:15", "10:50"]',
  0, 0, '2026-11-20 17:45:00'),
 (1003, 102, 'q1', 'Qui est le héros du conte ?', '"Le petit tailleur"', 1,
  1, '2026-11-21 07:38:00');

INSERT INTO orders VALUES
 ('CMD-2025-0042', 1, 'Anglais B2 — Parcours certifiant', 1, 4990, 'EUR',
  '2025-08-28 14:03:00', 'paid', 'FAC-2025-0042'),
 ('CMD-2025-0107', 1, 'Examen blanc TOEIC', 2, 1990, 'EUR',
  '2025-11-02 09:00:00', 'refunded', 'FAC-2025-0107'),
 ('CMD-2025-0300', 2, 'Français 6e', 1, 1500, 'EUR', '2025-08-30 10:00:00',
  'paid', NULL);

INSERT INTO tickets VALUES
 ('SAV-981', 1, 'Remboursement examen blanc',
  'J''ai été débitée deux fois pour l''examen blanc.', '2025-11-03 08:30:00',
  'closed', '2025-11-05 16:00:00'),
 ('SAV-990', 2, 'Mot de passe', 'Ma fille ne peut plus se connecter.',
  '2026-01-04 19:00:00', 'open', NULL);
INSERT INTO ticket_messages VALUES
 ('SAV-981', '2025-11-03 08:30:00', 'learner',
  'J''ai été débitée deux fois pour l''examen blanc.'),
 ('SAV-981', '2025-11-05 16:00:00', 'support',
  'Nous avons remboursé le second paiement. Toutes nos excuses.'),
 ('SAV-990', '2026-01-04 19:00:00', 'parent', 'Ma fille ne peut plus se connecter.');

-- Connection times as the platform logged them: Unix seconds.
INSERT INTO logins VALUES
 (1, 1763660531, 'login', '203.0.113.7', 'Mozilla/5.0 (X11; Linux x86_64)', 3120),
 (1, 1763663651, 'logout', '203.0.113.7', 'Mozilla/5.0 (X11; Linux x86_64)', NULL),
 (2, 1763711100, 'login', '198.51.100.23', 'Mozilla/5.0 (iPad)', 900);

INSERT INTO uploads VALUES
 (1, 1, 'devoirs/../rédaction anglais.txt', 'text/plain',
  '2025-10-01 20:00:00',
  CAST('My favourite place is the seaside, because...' AS BLOB)),
 (2, 2, 'conte.txt', 'text/plain', '2026-01-02 15:00:00',
  CAST('Il était une fois...' AS BLOB));

INSERT INTO notes VALUES
 (1, 'EN-B2-01', 'Revoir le present perfect avant le quiz.',
  '2025-10-10 21:00:00');

-- Inferred by the platform, not given by the learner: only an access
-- request (Art. 15) exports it.
INSERT INTO recommendations VALUES
 (1, 'EN-B2-02', 'Recommandé : écoute — score en compréhension orale < 70 %',
  '2026-11-20 18:05:00'),
 (2, 'FR-6-01', 'Recommandé : lecture guidée', '2026-11-21 08:00:00');

INSERT INTO consents VALUES
 (1, 'newsletter', 1, '2024-09-01 08:15:00', 'self', '2025-06-01 12:00:00'),
 (2, 'learning_analytics', 1, '2025-01-10 10:00:00', 'parent', NULL);
