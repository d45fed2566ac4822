/* postgres.c - placeholder until its issue lands; replaced wholesale. */
#include "portex/connector.h"

static int open_postgres(const px_source_cfg *cfg, px_source **out, json_t **plan,
		     px_error *err)
{
	(void)out;
	(void)plan;
	return px_cfg_error(err, cfg, "/connector",
			    "the postgres driver is not built yet");
}

const px_connector px_connector_postgres = {
	.abi = PX_CONNECTOR_ABI,
	.name = "postgres",
	.open = open_postgres,
};
