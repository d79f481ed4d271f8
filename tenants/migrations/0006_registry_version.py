"""A registry version in the public schema, bumped by PostgreSQL itself on every change to tenants or domains.

Web processes re-read it at most once per TENANT_ROUTING_RECHECK_SECONDS and drop their routes when it moved, so a
change reaches every process within that bound whatever made it: a service, the admin, a queryset `.update()`, raw
SQL, or a process that could not reach Redis to announce it (see tenants.routing).

The bump is a deferred constraint trigger: it runs at commit, so the version row is locked for microseconds, not for
the length of a provisioning transaction (concurrent `create_tenant` runs do not queue on it), and the new version
becomes visible in the same commit as the change it announces.
"""

from django.db import migrations

FORWARD = """
CREATE TABLE public.tenants_registry_version (
    id smallint PRIMARY KEY CHECK (id = 1),
    version bigint NOT NULL
);
INSERT INTO public.tenants_registry_version (id, version) VALUES (1, 0);

CREATE FUNCTION public.tenants_registry_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE public.tenants_registry_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER tenants_tenant_registry_bump
    AFTER INSERT OR UPDATE OR DELETE ON public.tenants_tenant
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.tenants_registry_bump();
CREATE CONSTRAINT TRIGGER tenants_domain_registry_bump
    AFTER INSERT OR UPDATE OR DELETE ON public.tenants_domain
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION public.tenants_registry_bump();
CREATE TRIGGER tenants_tenant_registry_bump_truncate
    AFTER TRUNCATE ON public.tenants_tenant FOR EACH STATEMENT EXECUTE FUNCTION public.tenants_registry_bump();
CREATE TRIGGER tenants_domain_registry_bump_truncate
    AFTER TRUNCATE ON public.tenants_domain FOR EACH STATEMENT EXECUTE FUNCTION public.tenants_registry_bump();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS tenants_domain_registry_bump_truncate ON public.tenants_domain;
DROP TRIGGER IF EXISTS tenants_tenant_registry_bump_truncate ON public.tenants_tenant;
DROP TRIGGER IF EXISTS tenants_domain_registry_bump ON public.tenants_domain;
DROP TRIGGER IF EXISTS tenants_tenant_registry_bump ON public.tenants_tenant;
DROP FUNCTION IF EXISTS public.tenants_registry_bump();
DROP TABLE IF EXISTS public.tenants_registry_version;
"""


class Migration(migrations.Migration):
    dependencies = [("tenants", "0005_fleet_liveness")]

    operations = [migrations.RunSQL(FORWARD, BACKWARD)]
