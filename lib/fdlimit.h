/* fdlimit: one socket per stream or connection needs more descriptors than the usual soft limit. */
#ifndef AIFB_FDLIMIT_H
#define AIFB_FDLIMIT_H

/* Raises the soft open-file limit to the hard one (logging a refusal). Returns the soft limit in
 * force afterwards, or -1 when it is unlimited or cannot be read. */
long long fdlimit_raise(void);

#endif
