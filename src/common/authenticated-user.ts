/** What an access token proves: who is calling. Set on the request by JwtAuthGuard. */
export interface AuthenticatedUser {
  /** `users.id` (SERIAL). */
  id: number;
}
