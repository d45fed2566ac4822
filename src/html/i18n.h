/*
 * i18n.h - the words of index.html, in French (the default) and English.
 *
 * Every message exists in both languages (a unit test checks the table is
 * complete). Strings are plain UTF-8 text, never HTML and never printf
 * formats: the page writer escapes them like any other text and places
 * numbers and names between pieces itself.
 */
#ifndef PX_I18N_H
#define PX_I18N_H

typedef enum px_lang { PX_LANG_FR, PX_LANG_EN, PX_LANG__COUNT } px_lang;

enum px_msg {
	PX_MSG_TITLE,
	PX_MSG_INTRO,
	PX_MSG_UNSIGNED_WARNING,
	PX_MSG_SUMMARY,
	PX_MSG_SUBJECT,
	PX_MSG_SUBJECT_GIVEN,
	PX_MSG_SUBJECT_RESOLVED,
	PX_MSG_CONTROLLER,
	PX_MSG_CONTACT,
	PX_MSG_CREATED_AT,
	PX_MSG_REQUEST,
	PX_MSG_NO_REQUEST,
	PX_MSG_RETRIEVABLE_UNTIL,
	PX_MSG_SCOPE,
	PX_MSG_SCOPE_PORTABILITY,
	PX_MSG_SCOPE_PORTABILITY_TEXT,
	PX_MSG_SCOPE_ACCESS,
	PX_MSG_SCOPE_ACCESS_TEXT,
	PX_MSG_CATEGORIES,
	PX_MSG_ENCRYPTION,
	PX_MSG_ENCRYPTED_TEXT,
	PX_MSG_CONTENTS,
	PX_MSG_SOURCES,
	PX_MSG_SOURCES_TEXT,
	PX_MSG_SOURCE,
	PX_MSG_CONNECTOR,
	PX_MSG_STATUS,
	PX_MSG_RECORDS,
	PX_MSG_STATUS_FOUND,
	PX_MSG_STATUS_NOT_FOUND,
	PX_MSG_NO_SOURCES,
	PX_MSG_DATA,
	PX_MSG_DATA_TEXT,
	PX_MSG_NO_DATA,
	PX_MSG_NO_RECORDS,
	PX_MSG_RECORD_COUNT,
	PX_MSG_RECORD_ONE,
	PX_MSG_TIMEZONE,
	PX_MSG_TIMEZONE_TEXT,
	PX_MSG_MORE_ROWS,
	PX_MSG_MORE_ROWS_PAGES,
	PX_MSG_ALSO_AS,
	PX_MSG_CSV_FOR,
	PX_MSG_JSON_FOR,
	PX_MSG_PAGES,
	PX_MSG_PAGE,
	PX_MSG_RECORDS_RANGE,
	PX_MSG_BACK_TO_INDEX,
	PX_MSG_PAGE_FIRST,
	PX_MSG_PAGE_PREV,
	PX_MSG_PAGE_NEXT,
	PX_MSG_YES,
	PX_MSG_NO,
	PX_MSG_FILES,
	PX_MSG_FILES_TEXT,
	PX_MSG_PATH,
	PX_MSG_MEDIA_TYPE,
	PX_MSG_SIZE,
	PX_MSG_SHA256,
	PX_MSG_VERIFY,
	PX_MSG_SIGNED_BY,
	PX_MSG_SIGNED_TEXT,
	PX_MSG_VERIFY_OPENSSL,
	PX_MSG_VERIFY_OPENSSL_OK,
	PX_MSG_VERIFY_PORTEX,
	PX_MSG_UNSIGNED_TEXT,
	PX_MSG_UNSIGNED_DIGESTS,
	PX_MSG_WHAT_IS_THIS,
	PX_MSG_WHAT_CAN_I_DO,
	PX_MSG_DO_READ,
	PX_MSG_DO_CSV,
	PX_MSG_DO_JSON,
	PX_MSG_DO_VERIFY,
	PX_MSG_DO_RIGHTS,
	PX_MSG_PROCESSING,
	PX_MSG_PROCESSING_TEXT,
	PX_MSG_LEGAL_BASIS,
	PX_MSG_DATA_CONCERNED,
	PX_MSG_IN_THIS_PACKAGE,
	PX_MSG_RECIPIENTS,
	PX_MSG_NO_RECIPIENTS,
	PX_MSG_TRANSFERS,
	PX_MSG_NO_TRANSFERS,
	PX_MSG_SAFEGUARDS,
	PX_MSG_RETENTION,
	PX_MSG_AUTOMATED,
	PX_MSG_AUTOMATED_NONE,
	PX_MSG_AUTOMATED_MADE,
	PX_MSG_ORIGIN,
	PX_MSG_MINORS,
	PX_MSG_RIGHTS,
	PX_MSG_RIGHTS_TEXT,
	PX_MSG_HOW_TO_EXERCISE,
	PX_MSG_WRITE_TO,
	PX_MSG_DPO,
	PX_MSG_COMPLAINT,
	PX_MSG_COMPLAINT_TEXT,
	PX_MSG_FINGERPRINT,
	PX_MSG_FINGERPRINT_TEXT,
	PX_MSG_GENERATED_BY,
	PX_MSG_COLUMNS_HELP,
	PX_MSG__COUNT
};

/* The kinds of a closed list in the manifest (legal bases, recipients'
 * roles, rights), as a person reads them. */
enum px_term_kind { PX_TERM_LEGAL_BASIS, PX_TERM_ROLE, PX_TERM_RIGHT };

/* The person's words for a value of that kind ("contract" ->
 * "Exécution d'un contrat (article 6.1.b du RGPD)"); for a right, *detail
 * gets what it lets the person do. NULL when unknown. Static storage. */
const char *px_i18n_term(px_lang lang, enum px_term_kind kind,
			 const char *value, const char **detail);

/* "en" (or "en-GB", "en_US"...) gives English; anything else French. */
px_lang px_i18n_lang(const char *locale);

/* The message in that language; never NULL. Static storage. */
const char *px_i18n(px_lang lang, enum px_msg id);

/* A person's name for an entity ("score" -> "Résultats"), or NULL when the
 * entity is not one of DESIGN.md's twelve. Static storage. */
const char *px_i18n_entity(px_lang lang, const char *entity);

/* A person's name for a record field ("taken_at" -> "Passée le"), or NULL
 * for a field no schema has. Static storage. */
const char *px_i18n_field(px_lang lang, const char *field);

/* What column field of entity holds, in lang ("taken_at" -> "Date à
 * laquelle l'évaluation a été passée."), or NULL for a field no schema
 * has. Static storage. */
const char *px_i18n_column(px_lang lang, const char *entity, const char *field);

/* A field's value in words, for the closed lists of the schemas and the
 * usual words of free ones (("status", "completed") -> "terminé",
 * ("event", "login") -> "connexion"); NULL when it has none. Static. */
const char *px_i18n_value(px_lang lang, const char *field, const char *value);

/* 1 when px_i18n_value() has words for some value of field: a table
 * asks once per column rather than once per cell. */
int px_i18n_has_values(const char *field);

/* Message id (a plural noun such as PX_MSG_RECORD_COUNT) in the form that
 * goes with the number n: French takes the singular for 0 and 1, English
 * for 1 only. Never NULL. Static storage. */
const char *px_i18n_count(px_lang lang, enum px_msg id, unsigned long n);

/* The html lang attribute for the language ("fr", "en"). */
const char *px_i18n_code(px_lang lang);

#endif
