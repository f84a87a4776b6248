/* output: the `output ID NAME` verb: the raw bytes of one file a job wrote into its own folder
 * (STATE/jobs/<id>/NAME), such as aifb-loadgen's records-0.csv, for aifb-client to load. It is the
 * one verb whose answer is not a JSON object: the file's bytes on stdout, exit 0. Its errors are the
 * usual error shape, exit 1. NAME is a plain file name ([A-Za-z0-9][A-Za-z0-9._-]*, no ".."); the
 * file is opened without following a link and must be a regular file. */
#ifndef AIFB_OUTPUT_H
#define AIFB_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>

#include "agent.h"

/* True when name may name a file of a job's folder. */
bool output_name_ok(const char *name);

/* The verb. On success it has written the file to stdout and sets *reply to NULL. */
enum err output_verb(struct agent *ag, int argc, const char *const *argv, json_t **reply);

#endif
