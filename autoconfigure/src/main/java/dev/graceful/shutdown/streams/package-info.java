/**
 * Step 2, beside the drain: long-lived streams (SSE responses, WebSocket sessions) handed
 * off when the drain starts instead of waited for, one participant per kind.
 */
@NullMarked
package dev.graceful.shutdown.streams;

import org.jspecify.annotations.NullMarked;
