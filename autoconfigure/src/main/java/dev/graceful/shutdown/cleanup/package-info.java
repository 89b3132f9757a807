/**
 * Step 4: runs @OnShutdown methods and registered cleanups, each isolated and bounded.
 */
@NullMarked
package dev.graceful.shutdown.cleanup;

import org.jspecify.annotations.NullMarked;
