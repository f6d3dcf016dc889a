"""DynamoDB on the wire (issue 19): ``dynviz dynamodb`` serves DynamoDB's HTTP API
(JSON 1.0) from the table layer, so boto3, the AWS CLI and PynamoDB talk to the Dynamo
cluster unchanged.

The layer sits on ``dynviz.table`` (DESIGN §8, "The wire endpoint sits on the table
layer"): ``protocol.py`` is the framing without I/O (a request's target, content type
and body in; a status, headers and body out; DynamoDB's error shapes), ``shapes.py``
turns JSON attribute values into the table client's shapes and back, ``operations.py``
says which operations are served, ``server.py`` is the aiohttp server that runs one
table call at a time on the simulated cluster, ``cli.py`` the ``dynviz dynamodb``
subcommand.
"""
