// The step that locks JupyterHub's published default password: the stack's cluster runs it at
// creation (stacks/cluster.ts), and so does a transient run's cluster (runner/argv/emr-run-job-flow.ts).
// Its own module so the runner can import it without the CDKTF provider.
/**
 * JupyterHub on EMR ships an admin user jovyan with the published password "jupyter". This
 * step, given at cluster creation, locks that password as soon as the jupyterhub container
 * runs, so the default never stays usable; `fruits notebook password` then sets a random one
 * over SSH (stdin only) and prints it once. No password is in this step, in Terraform state or
 * in a log. If the lock cannot be confirmed the cluster terminates rather than run with the
 * default (it waits up to 10 minutes for the container first).
 */
export const LOCK_JUPYTERHUB_PASSWORD_SCRIPT = [
  'for i in $(seq 60); do sudo docker exec jupyterhub true 2>/dev/null && break; sleep 10; done',
  'sudo docker exec jupyterhub passwd -l jovyan',
  "sudo docker exec jupyterhub passwd -S jovyan | awk '{exit ($2 == \"L\") ? 0 : 1}'",
].join(' && ');
