/**
 * Public API of the graceful shutdown starter: the shutdown progress and its report.
 */
@NullMarked
package dev.graceful.shutdown;

import org.jspecify.annotations.NullMarked;
