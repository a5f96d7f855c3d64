// The judged window every scenario shares: 5 minutes of 30-second steps.

export const STEP_S = 30;
export const STEPS = 10;
export const WINDOW_S = STEP_S * STEPS;
/** Every scenario's window starts here (2026-01-01T00:00:00Z); scenarios are independent, so they can share it. */
export const START_S = 1_767_225_600;
