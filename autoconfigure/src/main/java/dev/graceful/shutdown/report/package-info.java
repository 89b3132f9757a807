/**
 * Step 5: the shutdown summary.
 */
@NullMarked
package dev.graceful.shutdown.report;

import org.jspecify.annotations.NullMarked;
