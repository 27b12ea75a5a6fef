import { Injectable } from '@nestjs/common';

/** Flipped by bootstrap on SIGTERM so readiness fails while in-flight requests drain. */
@Injectable()
export class ShutdownState {
  private shuttingDown = false;

  begin(): void {
    this.shuttingDown = true;
  }

  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }
}
