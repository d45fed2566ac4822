/*
 * lazy_curl.c - the libcurl functions portex calls, loading libcurl.so.4
 * at the first (REST sources, mail, time stamps, webhooks, LRS uploads).
 * See lazy.h.
 */
/* The type-checking macros of curl.h would rename the definitions below. */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <stdarg.h>

#include "lazy/lazy.h"

#define FUNCS(X)                                                               \
	X(curl_easy_cleanup)                                                   \
	X(curl_easy_duphandle)                                                 \
	X(curl_easy_escape)                                                    \
	X(curl_easy_getinfo)                                                   \
	X(curl_easy_init)                                                      \
	X(curl_easy_perform)                                                   \
	X(curl_easy_setopt)                                                    \
	X(curl_easy_strerror)                                                  \
	X(curl_free)                                                           \
	X(curl_getdate)                                                        \
	X(curl_global_cleanup)                                                 \
	X(curl_global_init)                                                    \
	X(curl_multi_add_handle)                                               \
	X(curl_multi_cleanup)                                                  \
	X(curl_multi_info_read)                                                \
	X(curl_multi_init)                                                     \
	X(curl_multi_perform)                                                  \
	X(curl_multi_poll)                                                     \
	X(curl_multi_remove_handle)                                            \
	X(curl_multi_setopt)                                                   \
	X(curl_slist_append)                                                   \
	X(curl_slist_free_all)                                                 \
	X(curl_url)                                                            \
	X(curl_url_cleanup)                                                    \
	X(curl_url_dup)                                                        \
	X(curl_url_get)                                                        \
	X(curl_url_set)

PX_LAZY_DEFINE(lib, "libcurl.so.4", FUNCS);

/* The real function, of the type curl.h declares it with. */
#define REAL(name) PX_LAZY_FN(lib, __typeof__(&name), name)

/* The type of an option's one argument, as curl itself reads it: it is
 * in the option's number (curl.h's CURLOPTTYPE_* ranges, which
 * curl_multi_setopt's options share). */
enum arg_kind { ARG_LONG, ARG_POINTER, ARG_OFF_T };

static enum arg_kind kind_of(int option)
{
	if (option < CURLOPTTYPE_OBJECTPOINT)
		return ARG_LONG;
	if (option >= CURLOPTTYPE_OFF_T && option < CURLOPTTYPE_BLOB)
		return ARG_OFF_T;
	return ARG_POINTER; /* objects, functions, blobs */
}

/* f(handle, option, the argument ap holds, read with its own type). */
#define WITH_ARG(f, handle, option, ap)                                        \
	(kind_of((int)(option)) == ARG_LONG                                    \
	     ? f(handle, option, va_arg(ap, long))                             \
	 : kind_of((int)(option)) == ARG_OFF_T                                 \
	     ? f(handle, option, va_arg(ap, curl_off_t))                       \
	     : f(handle, option, va_arg(ap, void *)))

/* curl_easy_setopt() and curl_multi_setopt(), alike but for types. */
#define SETOPT(ret, name, handle_type, option_type)                            \
	ret name(handle_type handle, option_type option, ...)                  \
	{                                                                      \
		ret rc;                                                        \
		va_list ap;                                                    \
                                                                               \
		va_start(ap, option);                                          \
		rc = WITH_ARG(REAL(name), handle, option, ap);                 \
		va_end(ap);                                                    \
		return rc;                                                     \
	}

SETOPT(CURLcode, curl_easy_setopt, CURL *, CURLoption)
SETOPT(CURLMcode, curl_multi_setopt, CURLM *, CURLMoption)

/* Every CURLINFO takes one pointer to where the answer goes. */
CURLcode curl_easy_getinfo(CURL *curl, CURLINFO info, ...)
{
	va_list ap;
	void *p;

	va_start(ap, info);
	p = va_arg(ap, void *);
	va_end(ap);
	return REAL(curl_easy_getinfo)(curl, info, p);
}

void curl_easy_cleanup(CURL *curl)
{
	REAL(curl_easy_cleanup)(curl);
}

CURL *curl_easy_duphandle(CURL *curl)
{
	return REAL(curl_easy_duphandle)(curl);
}

char *curl_easy_escape(CURL *handle, const char *string, int length)
{
	return REAL(curl_easy_escape)(handle, string, length);
}

CURL *curl_easy_init(void)
{
	return REAL(curl_easy_init)();
}

CURLcode curl_easy_perform(CURL *curl)
{
	return REAL(curl_easy_perform)(curl);
}

const char *curl_easy_strerror(CURLcode code)
{
	return REAL(curl_easy_strerror)(code);
}

void curl_free(void *p)
{
	REAL(curl_free)(p);
}

time_t curl_getdate(const char *p, const time_t *unused)
{
	return REAL(curl_getdate)(p, unused);
}

void curl_global_cleanup(void)
{
	REAL(curl_global_cleanup)();
}

CURLcode curl_global_init(long flags)
{
	return REAL(curl_global_init)(flags);
}

CURLMcode curl_multi_add_handle(CURLM *multi_handle, CURL *curl_handle)
{
	return REAL(curl_multi_add_handle)(multi_handle, curl_handle);
}

CURLMcode curl_multi_cleanup(CURLM *multi_handle)
{
	return REAL(curl_multi_cleanup)(multi_handle);
}

CURLMsg *curl_multi_info_read(CURLM *multi_handle, int *msgs_in_queue)
{
	return REAL(curl_multi_info_read)(multi_handle, msgs_in_queue);
}

CURLM *curl_multi_init(void)
{
	return REAL(curl_multi_init)();
}

CURLMcode curl_multi_perform(CURLM *multi_handle, int *running_handles)
{
	return REAL(curl_multi_perform)(multi_handle, running_handles);
}

CURLMcode curl_multi_poll(CURLM *multi_handle, struct curl_waitfd extra_fds[],
			  unsigned int extra_nfds, int timeout_ms, int *ret)
{
	return REAL(curl_multi_poll)(multi_handle, extra_fds, extra_nfds,
				     timeout_ms, ret);
}

CURLMcode curl_multi_remove_handle(CURLM *multi_handle, CURL *curl_handle)
{
	return REAL(curl_multi_remove_handle)(multi_handle, curl_handle);
}

struct curl_slist *curl_slist_append(struct curl_slist *list, const char *data)
{
	return REAL(curl_slist_append)(list, data);
}

void curl_slist_free_all(struct curl_slist *list)
{
	REAL(curl_slist_free_all)(list);
}

CURLU *curl_url(void)
{
	return REAL(curl_url)();
}

void curl_url_cleanup(CURLU *handle)
{
	REAL(curl_url_cleanup)(handle);
}

CURLU *curl_url_dup(CURLU *in)
{
	return REAL(curl_url_dup)(in);
}

CURLUcode curl_url_get(CURLU *handle, CURLUPart what, char **part,
		       unsigned int flags)
{
	return REAL(curl_url_get)(handle, what, part, flags);
}

CURLUcode curl_url_set(CURLU *handle, CURLUPart what, const char *part,
		       unsigned int flags)
{
	return REAL(curl_url_set)(handle, what, part, flags);
}
