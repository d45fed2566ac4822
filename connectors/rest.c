/* rest.c - placeholder until its issue lands; replaced wholesale. */
#include "portex/connector.h"

static int open_rest(const px_source_cfg *cfg, px_source **out, json_t **plan,
		     px_error *err)
{
	(void)out;
	(void)plan;
	return px_cfg_error(err, cfg, "/connector",
			    "the rest driver is not built yet");
}

const px_connector px_connector_rest = {
	.abi = PX_CONNECTOR_ABI,
	.name = "rest",
	.open = open_rest,
};
