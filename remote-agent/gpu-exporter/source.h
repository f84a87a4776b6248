/* source: where samples come from. NVML through dlopen("libnvidia-ml.so.1") (no CUDA headers or
 * link-time dependency; one sample costs a few ms per GPU and no fork), else nvidia-smi's CSV (a fork
 * per sample: the fallback only), else a recorded CSV replayed row by row (tests and demos, labelled
 * replay="true" in the metrics). */
#ifndef AIFB_GPU_SOURCE_H
#define AIFB_GPU_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "sample.h"

struct source;

/* NVML: NULL when the library or a GPU is missing, with why[] saying which. */
struct source *source_nvml_open(char *why, size_t n);

/* nvidia-smi (the program path; NULL: "nvidia-smi" on PATH): NULL when it does not run or lists no GPU. */
struct source *source_smi_open(const char *program, char *why, size_t n);

/* A recording: the CSV that `nvidia-smi --query-gpu=... --format=csv[,nounits]` prints (with its header
 * line, as tests/fixtures or `-l 1` make it) or the nvml-load.csv format (t,index,name,uuid,util_gpu,
 * util_mem,mem_total,mem_used,power_mw,temp_c,sm_mhz,mem_mhz,energy_mj). Rows of one timestamp form one
 * sample; samples come back in order, then from the start again (energy keeps counting up across laps).
 * NULL with why[] when the file is unreadable or holds no sample.
 * Rows of one timestamp: within 0.5 s (nvidia-smi stamps each GPU's row as it reads it), and a GPU seen
 * twice starts the next sample. Energy: each GPU's next lap adds what the recording used plus one mean step.
 * Also NULL when a line inside does not parse (named by number); a cut last line, without its newline,
 * is dropped (the recorder was stopped). 8 MiB at most; blank lines and repeated headers are skipped. */
struct source *source_replay_open(const char *path, char *why, size_t n);

/* Takes one sample into *out. Returns 0, or -1 with why[] (the sample is then not to be used). out->taken
 * is the CLOCK_REALTIME time of the read, for a replay too (not the recorded time). Memory "used" is each
 * source's own: NVML's includes driver-reserved memory (about 615 MiB on an idle H200), nvidia-smi's does
 * not (0 MiB idle). One thread at a time per source. */
int source_read(struct source *s, struct gpu_sample *out, char *why, size_t n);

/* "nvml", "nvidia-smi" or "replay". */
const char *source_kind(const struct source *s);
bool source_is_replay(const struct source *s);
void source_close(struct source *s);

/* The parsers, pure, for the tests and the fuzzer. */

/* One line of nvidia-smi's CSV against the header's field list (names as in the header, units in
 * brackets or not). Units converted: % -> ratio, MiB -> bytes, W -> W, MHz -> Hz, hex reasons -> number;
 * "[N/A]", "N/A", "[Not Supported]" -> NAN. Returns 0, or -1 on a line with another field count or a
 * value that is not a number where one must be.
 * Also: "Not Supported" and any other "[...]" ("[Unknown Error]") are NAN too; a value may carry its unit
 * ("86.63 W", from --format=csv without nounits), which must then be the field's; fields the exporter
 * does not read are passed over; bytes other than printable ASCII refuse the line. *taken (may be NULL)
 * gets the timestamp column as epoch seconds, read in local time as nvidia-smi prints it, or NAN
 * without one. The header: NULL with why[] when it is empty, names no field the exporter reads, or
 * gives one a unit nvidia-smi does not (memory.used [GiB]); freed with smi_header_free. */
struct smi_header;
struct smi_header *smi_header_parse(const char *line, char *why, size_t n);
void smi_header_free(struct smi_header *h);
int smi_line_parse(const struct smi_header *h, const char *line, struct gpu_reading *out, double *taken, char *why,
                   size_t n);

/* One row of the nvml-load.csv format (after its header). Returns 0 or -1 as smi_line_parse. *t (may be
 * NULL) gets the row's t as written: seconds, not necessarily since the epoch. Energy mJ -> J, power
 * mW -> W; clock_events stays NAN (not in the format). */
int nvml_csv_line_parse(const char *line, struct gpu_reading *out, double *t, char *why, size_t n);

#endif
