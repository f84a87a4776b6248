/* slurm_opts: the shapes of the SLURM job options aifb passes to sbatch (POSIX ERE, whole value),
 * declared once for every place that takes them: aifb-agent's submit, and the server's and the
 * client's routes, so that a value one accepts the other never refuses. */
#ifndef AIFB_SLURM_OPTS_H
#define AIFB_SLURM_OPTS_H

#define SLURM_NAME_PATTERN "[A-Za-z0-9._-]{1,64}"                 /* partition, account, qos, job name */
#define SLURM_TIME_PATTERN "([0-9]+-)?[0-9]{1,2}(:[0-9]{2}){0,2}" /* time limit: [D-]HH[:MM[:SS]] */
#define SLURM_MEM_PATTERN "[0-9]{1,9}[KMGT]?"                     /* --mem */

#endif
