/*
 * lazy_mhd.c - the libmicrohttpd functions `portex serve` calls, loading
 * libmicrohttpd.so.12 at the first. See lazy.h.
 */
#include <microhttpd.h>
#include <stdarg.h>

#include "lazy/lazy.h"

#define FUNCS(X)                                                               \
	X(MHD_add_response_header)                                             \
	X(MHD_create_response_from_buffer)                                     \
	X(MHD_create_response_from_fd_at_offset64)                             \
	X(MHD_destroy_response)                                                \
	X(MHD_get_daemon_info)                                                 \
	X(MHD_get_reason_phrase_for)                                           \
	X(MHD_get_response_header)                                             \
	X(MHD_is_feature_supported)                                            \
	X(MHD_lookup_connection_value)                                         \
	X(MHD_queue_response)                                                  \
	X(MHD_quiesce_daemon)                                                  \
	X(MHD_start_daemon_va)                                                 \
	X(MHD_stop_daemon)

PX_LAZY_DEFINE(lib, "libmicrohttpd.so.12", FUNCS);

/* The real function, of the type microhttpd.h declares it with. */
#define REAL(name) PX_LAZY_FN(lib, __typeof__(&name), name)

/* Its options go on as the va_list its _va twin takes. */
struct MHD_Daemon *MHD_start_daemon(unsigned int flags, uint16_t port,
				    MHD_AcceptPolicyCallback apc, void *apc_cls,
				    MHD_AccessHandlerCallback dh, void *dh_cls,
				    ...)
{
	__typeof__(&MHD_start_daemon_va) f = REAL(MHD_start_daemon_va);
	struct MHD_Daemon *d;
	va_list ap;

	va_start(ap, dh_cls);
	d = f(flags, port, apc, apc_cls, dh, dh_cls, ap);
	va_end(ap);
	return d;
}

/* The information portex asks for (current connections) takes no
 * argument after its type; none that would is forwarded. */
const union MHD_DaemonInfo *
MHD_get_daemon_info(struct MHD_Daemon *daemon,
		    enum MHD_DaemonInfoType info_type, ...)
{
	return REAL(MHD_get_daemon_info)(daemon, info_type);
}

enum MHD_Result MHD_add_response_header(struct MHD_Response *response,
					const char *header, const char *content)
{
	return REAL(MHD_add_response_header)(response, header, content);
}

struct MHD_Response *
MHD_create_response_from_buffer(size_t size, void *buffer,
				enum MHD_ResponseMemoryMode mode)
{
	return REAL(MHD_create_response_from_buffer)(size, buffer, mode);
}

struct MHD_Response *
MHD_create_response_from_fd_at_offset64(uint64_t size, int fd, uint64_t offset)
{
	return REAL(MHD_create_response_from_fd_at_offset64)(size, fd, offset);
}

void MHD_destroy_response(struct MHD_Response *response)
{
	REAL(MHD_destroy_response)(response);
}

const char *MHD_get_reason_phrase_for(unsigned int code)
{
	return REAL(MHD_get_reason_phrase_for)(code);
}

const char *MHD_get_response_header(struct MHD_Response *response,
				    const char *key)
{
	return REAL(MHD_get_response_header)(response, key);
}

enum MHD_Result MHD_is_feature_supported(enum MHD_FEATURE feature)
{
	return REAL(MHD_is_feature_supported)(feature);
}

const char *MHD_lookup_connection_value(struct MHD_Connection *connection,
					enum MHD_ValueKind kind,
					const char *key)
{
	return REAL(MHD_lookup_connection_value)(connection, kind, key);
}

enum MHD_Result MHD_queue_response(struct MHD_Connection *connection,
				   unsigned int status_code,
				   struct MHD_Response *response)
{
	return REAL(MHD_queue_response)(connection, status_code, response);
}

MHD_socket MHD_quiesce_daemon(struct MHD_Daemon *daemon)
{
	return REAL(MHD_quiesce_daemon)(daemon);
}

void MHD_stop_daemon(struct MHD_Daemon *daemon)
{
	REAL(MHD_stop_daemon)(daemon);
}
