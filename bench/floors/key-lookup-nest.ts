import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { TypeOrmModule } from '@nestjs/typeorm';
import type { FastifyInstance } from 'fastify';
import { addContractHooks, contractOptions } from './contract.js';
import { serveKeyLookup } from './fastify-lookup.js';

/**
 * The contract floor of the key lookup (key-lookup-contract.ts: the same route, SQL and
 * per-request work) served by the decided stack: Nest's Fastify adapter, whose own hooks run
 * on every request (shutdown 503, CORS, security, request-target and versioning checks,
 * middie, connection tracking), with TypeORM connected in the same process. None of the
 * app's modules, background work or handler path. Beside the contract floor it shows what
 * the stack costs per request; beside the app, what the app's own code and process do.
 */
@Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DATABASE_URL, synchronize: false, migrationsRun: false, extra: { max: 2 } }),
  ],
})
class StackModule {}

const adapter = new FastifyAdapter(contractOptions());
const app = adapter.getInstance<FastifyInstance>();
const metrics = addContractHooks(app);
const nest = await NestFactory.create<NestFastifyApplication>(StackModule, adapter, { logger: ['error'] });
await nest.init();
await serveKeyLookup(app, (seconds, outcome) => {
  metrics.statement('key_lookup', seconds);
  metrics.decision('keys', outcome);
});
