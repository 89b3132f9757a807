/**
 * Step 0: marks the start of the shutdown and takes the application out of readiness.
 */
@NullMarked
package dev.graceful.shutdown.readiness;

import org.jspecify.annotations.NullMarked;
