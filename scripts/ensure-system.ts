// Installs the system packages the test suite needs (Debian's etcd, Swift, protoc, …) when they are
// missing and we may (root + apt-get); otherwise prints the one command to run and exits 1.
import { ensureSystemPackages, TEST_REQUIREMENTS } from '../services/platform/system-packages.ts';

try {
  ensureSystemPackages(TEST_REQUIREMENTS, { log: (line) => console.error(`terrain: ${line}`) });
} catch (err) {
  console.error((err as Error).message);
  process.exit(1);
}
