/* The browser speed test: placeholder until the page lands. */
