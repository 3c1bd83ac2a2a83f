/** The shell: skip link, header with the menu and log-out, then the current page. */
import { useEffect, useRef } from 'preact/hooks';
import { post, toLogin } from './api.js';
import { PAGES } from './pages.js';
import { href, useRoute } from './router.js';
import { Action, Empty } from './ui.js';

export function App() {
  const route = useRoute();
  const page = PAGES.find((p) => p.path === route.page);
  const heading = useRef<HTMLElement>(null);
  useEffect(() => {
    document.title = `${page?.title ?? 'Not found'} · AgentForge`;
    // After navigation, focus moves to the page so keyboard and screen-reader users start there.
    heading.current?.focus();
  }, [route.page]);
  const View = page?.view;
  return (
    <>
      {/* The hash is the route: following href="#main" would open a page called "main". */}
      <a
        class="skip"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          heading.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href={href('overview')}>
          <img src="/assets/icon.svg" alt="" width={24} height={24} />
          AgentForge
        </a>
        <nav aria-label="Pages">
          <ul>
            {PAGES.map((p) => (
              <li key={p.path}>
                <a href={href(p.path)} aria-current={p.path === route.page ? 'page' : undefined}>
                  {p.title}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <span class="logout">
          <Action label="Log out" kind="secondary" run={() => post('/api/dashboard/logout')} done={toLogin} />
        </span>
      </header>
      <main id="main" tabIndex={-1} ref={heading}>
        {View === undefined ? (
          <Empty title="No such page">
            Pick one from the menu, or go to the <a href={href('overview')}>overview</a>.
          </Empty>
        ) : (
          <View params={route.params} />
        )}
      </main>
    </>
  );
}
