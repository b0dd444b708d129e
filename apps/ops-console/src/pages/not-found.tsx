import { href } from '../router';
import { PageHeader } from '../components/ui';

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <p>
        There is no console page at this address, or your role cannot open it. <a href={href('/overview')}>Go to the overview</a>.
      </p>
    </>
  );
}
