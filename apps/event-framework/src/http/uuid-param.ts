import { ParseUUIDPipe } from '@nestjs/common';
import { fieldError, validationFailed } from '@mailstrata/common';

/** `@Param('id', uuidParam)`: a path id that is not a UUID is a 400 naming `id`, like every other field. */
export const uuidParam = new ParseUUIDPipe({
  exceptionFactory: () => validationFailed([fieldError('id', 'isUuid', 'must be a UUID')], 'The id is not a UUID.'),
});
