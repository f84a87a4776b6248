/* aifb-client: see routes.c for what it answers at /api/client/. */
#include "app.h"
#include "routes.h"

int main(int argc, char **argv)
{
    return app_main(argc, argv, &client_app);
}
