/*
 * connector.c - the driver registry (built-ins, then plugins loaded with
 * dlopen) and small helpers every driver shares.
 */
#include "portex/connector.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "package/workfile.h"
#include "path.h"

extern const px_connector px_connector_sqlite;
extern const px_connector px_connector_postgres;
extern const px_connector px_connector_rest;

static const px_connector *const builtins[] = {
    &px_connector_sqlite,
    &px_connector_postgres,
    &px_connector_rest,
};

/* Plugins stay loaded for the life of the process; a handful at most. */
#define MAX_PLUGINS 16
static const px_connector *plugins[MAX_PLUGINS];
static size_t n_plugins;

const px_connector *px_connector_find(const char *name)
{
	for (size_t i = 0; i < sizeof(builtins) / sizeof(builtins[0]); i++)
		if (!strcmp(builtins[i]->name, name))
			return builtins[i];
	for (size_t i = 0; i < n_plugins; i++)
		if (!strcmp(plugins[i]->name, name))
			return plugins[i];
	return NULL;
}

int px_connector_load(const char *so_path, px_error *err)
{
	const px_connector *(*entry)(void);
	const px_connector *c;
	void *h;

	if (n_plugins == MAX_PLUGINS)
		return px_error_set(err, PX_EXIT_CONFIG,
				    "plugin %s: more than %d plugins", so_path,
				    MAX_PLUGINS);
	h = dlopen(so_path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return px_error_set(err, PX_EXIT_CONFIG, "plugin: %s",
				    dlerror());
	*(void **)&entry = dlsym(h, "px_connector_entry");
	if (!entry) {
		dlclose(h);
		return px_error_set(err, PX_EXIT_CONFIG,
				    "plugin %s: no px_connector_entry()",
				    so_path);
	}
	c = entry();
	if (!c || c->abi < PX_CONNECTOR_ABI_MIN || c->abi > PX_CONNECTOR_ABI ||
	    !c->name || !c->open || !c->resolve || !c->fetch || !c->close) {
		int abi = c ? c->abi : -1; /* c dies with dlclose() */
		dlclose(h);
		return px_error_set(
		    err, PX_EXIT_CONFIG,
		    "plugin %s: connector interface version %d, portex "
		    "needs %d to %d with every function set",
		    so_path, abi, PX_CONNECTOR_ABI_MIN, PX_CONNECTOR_ABI);
	}
	if (px_connector_find(c->name) == c) { /* loaded before */
		dlclose(h);
		return 0;
	}
	if (px_connector_find(c->name)) {
		dlclose(h);
		return px_error_set(err, PX_EXIT_CONFIG,
				    "plugin %s: connector '%s' already exists",
				    so_path, c->name);
	}
	plugins[n_plugins++] = c;
	return 0;
}

int px_cfg_error(px_error *err, const px_source_cfg *cfg, const char *subpath,
		 const char *fmt, ...)
{
	char msg[PX_ERROR_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return px_error_set(err, PX_EXIT_CONFIG, "%s: %s%s: source %s: %s",
			    cfg->config_file, cfg->json_path, subpath,
			    cfg->name, msg);
}

char *px_cfg_resolve_path(const px_source_cfg *cfg, const char *path)
{
	return px_path_join(cfg->base_dir, path);
}

FILE *px_connector_file(const char *what, px_error *err)
{
	return px_workfile_stream(what, err);
}
