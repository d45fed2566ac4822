/*
 * lazy_pq.c - the libpq functions portex calls, loading libpq.so.5 at the
 * first (PostgreSQL sources, a PostgreSQL ledger). See lazy.h.
 */
#include <libpq-fe.h>

#include "lazy/lazy.h"

#define FUNCS(X)                                                               \
	X(PQcancel)                                                            \
	X(PQclear)                                                             \
	X(PQconnectPoll)                                                       \
	X(PQconnectStartParams)                                                \
	X(PQconninfo)                                                          \
	X(PQconninfoFree)                                                      \
	X(PQconninfoParse)                                                     \
	X(PQconsumeInput)                                                      \
	X(PQdb)                                                                \
	X(PQerrorMessage)                                                      \
	X(PQfinish)                                                            \
	X(PQflush)                                                             \
	X(PQfname)                                                             \
	X(PQfreemem)                                                           \
	X(PQftype)                                                             \
	X(PQgetResult)                                                         \
	X(PQgetisnull)                                                         \
	X(PQgetlength)                                                         \
	X(PQgetvalue)                                                          \
	X(PQhost)                                                              \
	X(PQisBusy)                                                            \
	X(PQnfields)                                                           \
	X(PQntuples)                                                           \
	X(PQparameterStatus)                                                   \
	X(PQresultErrorField)                                                  \
	X(PQresultErrorMessage)                                                \
	X(PQresultStatus)                                                      \
	X(PQsendQuery)                                                         \
	X(PQsendQueryParams)                                                   \
	X(PQsetNoticeProcessor)                                                \
	X(PQsetSingleRowMode)                                                  \
	X(PQsetnonblocking)                                                    \
	X(PQsocket)                                                            \
	X(PQstatus)                                                            \
	X(PQtransactionStatus)                                                 \
	X(PQunescapeBytea)

PX_LAZY_DEFINE(pq, "libpq.so.5", FUNCS);

/* The real function, of the type libpq-fe.h declares it with. */
#define REAL(name) PX_LAZY_FN(pq, __typeof__(&name), name)

int PQcancel(PGcancel *cancel, char *errbuf, int errbufsize)
{
	return REAL(PQcancel)(cancel, errbuf, errbufsize);
}

void PQclear(PGresult *res)
{
	REAL(PQclear)(res);
}

PostgresPollingStatusType PQconnectPoll(PGconn *conn)
{
	return REAL(PQconnectPoll)(conn);
}

PGconn *PQconnectStartParams(const char *const *keywords,
			     const char *const *values, int expand_dbname)
{
	return REAL(PQconnectStartParams)(keywords, values, expand_dbname);
}

PQconninfoOption *PQconninfo(PGconn *conn)
{
	return REAL(PQconninfo)(conn);
}

void PQconninfoFree(PQconninfoOption *connOptions)
{
	REAL(PQconninfoFree)(connOptions);
}

PQconninfoOption *PQconninfoParse(const char *conninfo, char **errmsg)
{
	return REAL(PQconninfoParse)(conninfo, errmsg);
}

int PQconsumeInput(PGconn *conn)
{
	return REAL(PQconsumeInput)(conn);
}

char *PQdb(const PGconn *conn)
{
	return REAL(PQdb)(conn);
}

char *PQerrorMessage(const PGconn *conn)
{
	return REAL(PQerrorMessage)(conn);
}

void PQfinish(PGconn *conn)
{
	REAL(PQfinish)(conn);
}

int PQflush(PGconn *conn)
{
	return REAL(PQflush)(conn);
}

char *PQfname(const PGresult *res, int field_num)
{
	return REAL(PQfname)(res, field_num);
}

void PQfreemem(void *ptr)
{
	REAL(PQfreemem)(ptr);
}

Oid PQftype(const PGresult *res, int field_num)
{
	return REAL(PQftype)(res, field_num);
}

PGresult *PQgetResult(PGconn *conn)
{
	return REAL(PQgetResult)(conn);
}

int PQgetisnull(const PGresult *res, int tup_num, int field_num)
{
	return REAL(PQgetisnull)(res, tup_num, field_num);
}

int PQgetlength(const PGresult *res, int tup_num, int field_num)
{
	return REAL(PQgetlength)(res, tup_num, field_num);
}

char *PQgetvalue(const PGresult *res, int tup_num, int field_num)
{
	return REAL(PQgetvalue)(res, tup_num, field_num);
}

char *PQhost(const PGconn *conn)
{
	return REAL(PQhost)(conn);
}

int PQisBusy(PGconn *conn)
{
	return REAL(PQisBusy)(conn);
}

int PQnfields(const PGresult *res)
{
	return REAL(PQnfields)(res);
}

int PQntuples(const PGresult *res)
{
	return REAL(PQntuples)(res);
}

const char *PQparameterStatus(const PGconn *conn, const char *paramName)
{
	return REAL(PQparameterStatus)(conn, paramName);
}

char *PQresultErrorField(const PGresult *res, int fieldcode)
{
	return REAL(PQresultErrorField)(res, fieldcode);
}

char *PQresultErrorMessage(const PGresult *res)
{
	return REAL(PQresultErrorMessage)(res);
}

ExecStatusType PQresultStatus(const PGresult *res)
{
	return REAL(PQresultStatus)(res);
}

int PQsendQuery(PGconn *conn, const char *query)
{
	return REAL(PQsendQuery)(conn, query);
}

int PQsendQueryParams(PGconn *conn, const char *command, int nParams,
		      const Oid *paramTypes, const char *const *paramValues,
		      const int *paramLengths, const int *paramFormats,
		      int resultFormat)
{
	return REAL(PQsendQueryParams)(conn, command, nParams, paramTypes,
				       paramValues, paramLengths, paramFormats,
				       resultFormat);
}

PQnoticeProcessor PQsetNoticeProcessor(PGconn *conn, PQnoticeProcessor proc,
				       void *arg)
{
	return REAL(PQsetNoticeProcessor)(conn, proc, arg);
}

int PQsetSingleRowMode(PGconn *conn)
{
	return REAL(PQsetSingleRowMode)(conn);
}

int PQsetnonblocking(PGconn *conn, int arg)
{
	return REAL(PQsetnonblocking)(conn, arg);
}

int PQsocket(const PGconn *conn)
{
	return REAL(PQsocket)(conn);
}

ConnStatusType PQstatus(const PGconn *conn)
{
	return REAL(PQstatus)(conn);
}

PGTransactionStatusType PQtransactionStatus(const PGconn *conn)
{
	return REAL(PQtransactionStatus)(conn);
}

unsigned char *PQunescapeBytea(const unsigned char *strtext, size_t *retbuflen)
{
	return REAL(PQunescapeBytea)(strtext, retbuflen);
}
