/**
 * Step 5: the report of the shutdown, logged as a summary and a table, written to the
 * report file, and described to the watchdog while the shutdown is under way.
 */
@NullMarked
package dev.graceful.shutdown.report;

import org.jspecify.annotations.NullMarked;
