/* fcgi_io: the bridge between libfcgi and struct req: reads the request's parameters and body
 * from an accepted FCGX_Request, and writes the reply back. */
#ifndef AIFB_FCGI_IO_H
#define AIFB_FCGI_IO_H

#include <fcgiapp.h>

#include "req.h"

/* Fills r from fr: method, decoded path, query, headers, request id (nginx's, or a new one). */
void fcgi_io_read(struct req *r, FCGX_Request *fr);

/* Writes r's reply to fr (no body for HEAD), then reads and drops any body left unread. */
void fcgi_io_write(struct req *r, FCGX_Request *fr);

#endif
