/** A call's life, one state at a time, with the transitions allowed between them. */
export enum CallState {
  Admitted = 'admitted',
  Connecting = 'connecting',
  Ringing = 'ringing',
  Answered = 'answered',
  Ending = 'ending',
  Ended = 'ended',
}

const NEXT: Record<CallState, readonly CallState[]> = {
  [CallState.Admitted]: [CallState.Connecting, CallState.Ending],
  [CallState.Connecting]: [CallState.Ringing, CallState.Answered, CallState.Ending],
  [CallState.Ringing]: [CallState.Answered, CallState.Ending],
  [CallState.Answered]: [CallState.Ending],
  [CallState.Ending]: [CallState.Ended],
  [CallState.Ended]: [],
};

export class StateMachine {
  private current = CallState.Admitted;

  constructor(private readonly onChange: (from: CallState, to: CallState) => void) {}

  get state(): CallState {
    return this.current;
  }

  /** move to `to` if allowed; returns false (and stays) otherwise */
  to(to: CallState): boolean {
    if (!NEXT[this.current].includes(to)) return false;
    const from = this.current;
    this.current = to;
    this.onChange(from, to);
    return true;
  }

  get ending(): boolean {
    return this.current === CallState.Ending || this.current === CallState.Ended;
  }
}
