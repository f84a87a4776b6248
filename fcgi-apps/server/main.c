/* aifb-server: services, service groups, recipes, targets and the data plane, at /api/server/. */
#include "app.h"
#include "routes.h"

int main(int argc, char **argv)
{
    return app_main(argc, argv, &server_app);
}
