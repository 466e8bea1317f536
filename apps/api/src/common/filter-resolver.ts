import { Injectable } from '@nestjs/common';
import { ApplicationRepository, EndpointRepository, EventTypeRepository } from '@app/db';
import { ValidationError, ValidationIssue } from '@app/domain';

/** Filters as the caller names things: an application and endpoint by id or uid, event types by name. */
export interface FilterNames {
  application?: string;
  endpoint?: string;
  eventTypes?: string[];
}

export interface ResolvedFilter {
  applicationId?: string;
  endpointId?: string;
  eventTypes?: string[];
}

/**
 * Resolves the dashboard's filters to the tenant's ids. A value the tenant does not have is refused with 422
 * `unknown_filter_value`, one issue per field naming each value, so a typo never reads as "nothing found".
 * An endpoint is named within its application (its uid is unique there only), so it needs `application`.
 */
@Injectable()
export class FilterResolver {
  constructor(
    private readonly applications: ApplicationRepository,
    private readonly endpoints: EndpointRepository,
    private readonly eventTypes: EventTypeRepository,
  ) {}

  async resolve(
    tenantId: string,
    names: FilterNames,
    loc: 'query' | 'body',
    opts: { checkEventTypes: boolean; eventTypesField: string } = {
      checkEventTypes: true,
      eventTypesField: loc === 'query' ? 'event_types' : 'eventTypes',
    },
  ): Promise<ResolvedFilter> {
    const issues: ValidationIssue[] = [];
    const unknown = (field: string, msg: string) =>
      issues.push({ loc: [loc, field], msg, type: 'unknown_filter_value' });
    if (names.endpoint && !names.application) {
      throw ValidationError.coded(
        'endpoint_needs_application',
        [loc, 'endpoint'],
        'The endpoint filter needs the application filter: give the application the endpoint belongs to.',
      );
    }
    let applicationId: string | undefined;
    let endpointId: string | undefined;
    if (names.application) {
      const app = await this.applications.findOptional(tenantId, names.application);
      if (app) applicationId = app.id;
      else unknown('application', `application ${JSON.stringify(names.application)} is not one of yours.`);
    }
    if (names.endpoint && applicationId) {
      const endpoint = await this.endpoints.findOptional(tenantId, applicationId, names.endpoint);
      if (endpoint) endpointId = endpoint.id;
      else
        unknown(
          'endpoint',
          `endpoint ${JSON.stringify(names.endpoint)} is not an endpoint of the application.`,
        );
    }
    const eventTypes = [...new Set(names.eventTypes ?? [])];
    if (opts.checkEventTypes) {
      const missing: string[] = [];
      for (const name of eventTypes) {
        if (!(await this.eventTypes.findOptional(tenantId, name))) missing.push(name);
      }
      if (missing.length > 0) {
        unknown(
          opts.eventTypesField,
          `unknown event types: ${missing.map((n) => JSON.stringify(n)).join(', ')}.`,
        );
      }
    }
    if (issues.length > 0) throw new ValidationError(issues, 'unknown_filter_value');
    return {
      ...(applicationId ? { applicationId } : {}),
      ...(endpointId ? { endpointId } : {}),
      ...(eventTypes.length ? { eventTypes } : {}),
    };
  }
}
